"""HMAC keys through boto3 and the aws CLI: GenerateMac and VerifyMac, and the errors of wrong use."""

import base64

import pytest
from botocore.exceptions import ClientError


def code(error):
    return error.value.response["Error"]["Code"]


def test_hmac_keys_through_boto3(kms):
    key = kms.create_key(KeySpec="HMAC_512", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    assert key["MacAlgorithms"] == ["HMAC_SHA_512"] and "EncryptionAlgorithms" not in key
    mac = kms.generate_mac(KeyId=key["KeyId"], Message=b"payload", MacAlgorithm="HMAC_SHA_512")["Mac"]
    assert len(mac) == 64
    assert kms.verify_mac(KeyId=key["KeyId"], Message=b"payload", MacAlgorithm="HMAC_SHA_512", Mac=mac)["MacValid"] is True
    with pytest.raises(ClientError) as e:
        kms.verify_mac(KeyId=key["KeyId"], Message=b"payload!", MacAlgorithm="HMAC_SHA_512", Mac=mac)
    assert code(e) == "KMSInvalidMacException"
    with pytest.raises(ClientError) as e:
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    assert code(e) == "InvalidKeyUsageException"
    with pytest.raises(ClientError) as e:
        kms.create_key(KeySpec="HMAC_256", KeyUsage="ENCRYPT_DECRYPT")
    assert code(e) == "ValidationException"


def test_hmac_keys_through_the_aws_cli(aws, tmp_path):
    status, created, err = aws("create-key", "--key-spec", "HMAC_256", "--key-usage", "GENERATE_VERIFY_MAC")
    assert status == 0, err
    key_id = created["KeyMetadata"]["KeyId"]
    status, made, err = aws("generate-mac", "--key-id", key_id, "--message", "aGVsbG8=", "--mac-algorithm", "HMAC_SHA_256")
    assert status == 0, err
    # The CLI prints blobs as base64 and takes them back as bytes from a file.
    mac_file = tmp_path / "mac.bin"
    mac_file.write_bytes(base64.b64decode(made["Mac"]))
    status, verified, err = aws("verify-mac", "--key-id", key_id, "--message", "aGVsbG8=", "--mac-algorithm", "HMAC_SHA_256",
                                "--mac", f"fileb://{mac_file}")
    assert status == 0 and verified["MacValid"] is True, err
