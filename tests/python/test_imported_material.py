"""Imported key material (Origin EXTERNAL) through boto3 and the aws CLI, wrapped as an owner wraps it: with Python's
`cryptography` and with `openssl pkeyutl` / `openssl enc -id-aes256-wrap-pad`, never with Trent's code. Encrypt,
delete the material, see the key refuse, import the same material again, decrypt again; other material is refused;
material whose ValidTo passes is deleted by the worker; deleting the key is final."""

import base64
import datetime
import json
import os
import subprocess
import time

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding

from conftest import wait_until_gone


def trent(server, *args):
    """Runs Trent's own client against the server; returns its standard output."""
    env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1")
    done = subprocess.run([os.environ.get("TRENT_BIN", "target/debug/trent"), *args, "--endpoint-url", server.endpoint,
                           "--output", "json"], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def server_now(server):
    """Trent's lifecycle clock (the dev clock, which earlier tests of the session may have moved forward)."""
    return datetime.datetime.fromtimestamp(server.advance_clock(0)["now"], datetime.timezone.utc)


def code(error):
    return error.value.response["Error"]["Code"], error.value.response["Error"]["Message"]


def oaep(algorithm):
    digest = hashes.SHA256() if algorithm.endswith("SHA_256") else hashes.SHA1()
    return padding.OAEP(mgf=padding.MGF1(algorithm=digest), algorithm=digest, label=None)


def wrap(parameters, algorithm, material):
    """EncryptedKeyMaterial as AWS's import guide builds it, with `cryptography`."""
    public = serialization.load_der_public_key(parameters["PublicKey"])
    if algorithm.startswith("RSAES_OAEP"):
        return public.encrypt(material, oaep(algorithm))
    aes_key = os.urandom(32)
    return public.encrypt(aes_key, oaep(algorithm)) + aes_key_wrap_with_padding(aes_key, material)


def import_material(kms, key_id, material, algorithm="RSAES_OAEP_SHA_256", spec="RSA_2048", **options):
    parameters = kms.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm=algorithm, WrappingKeySpec=spec)
    options.setdefault("ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE")
    return kms.import_key_material(KeyId=key_id, ImportToken=parameters["ImportToken"],
                                   EncryptedKeyMaterial=wrap(parameters, algorithm, material), **options)


def test_imported_material_encrypts_and_only_the_same_material_comes_back_after_deletion(kms):
    created = kms.create_key(Origin="EXTERNAL", Description="imported")["KeyMetadata"]
    key_id = created["KeyId"]
    assert (created["Origin"], created["KeyState"], created["Enabled"]) == ("EXTERNAL", "PendingImport", False)
    assert "CurrentKeyMaterialId" not in created and "ExpirationModel" not in created
    with pytest.raises(ClientError) as refused:
        kms.encrypt(KeyId=key_id, Plaintext=b"x")
    assert code(refused) == ("KMSInvalidStateException", f"{created['Arn']} is pending import.")

    material = os.urandom(32)
    imported = import_material(kms, key_id, material)
    assert imported["KeyId"] == created["Arn"] and len(imported["KeyMaterialId"]) == 64
    metadata = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert (metadata["KeyState"], metadata["ExpirationModel"]) == ("Enabled", "KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert metadata["CurrentKeyMaterialId"] == imported["KeyMaterialId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"kept", EncryptionContext={"k": "v"})["CiphertextBlob"]

    deleted = kms.delete_imported_key_material(KeyId=key_id)
    assert deleted == {"KeyId": created["Arn"], "KeyMaterialId": imported["KeyMaterialId"],
                       "ResponseMetadata": deleted["ResponseMetadata"]}
    metadata = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert metadata["KeyState"] == "PendingImport" and "ExpirationModel" not in metadata
    assert metadata["CurrentKeyMaterialId"] == imported["KeyMaterialId"], "the key remembers its material"
    with pytest.raises(ClientError) as refused:
        kms.decrypt(CiphertextBlob=blob, EncryptionContext={"k": "v"})
    assert code(refused) == ("KMSInvalidStateException", f"{created['Arn']} is pending import.")

    with pytest.raises(ClientError) as refused:
        import_material(kms, key_id, os.urandom(32))
    assert code(refused)[0] == "IncorrectKeyMaterialException"
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingImport", "nothing changed"

    again = import_material(kms, key_id, material, algorithm="RSA_AES_KEY_WRAP_SHA_256", spec="RSA_4096",
                            KeyMaterialDescription="from the HSM")
    assert again["KeyMaterialId"] == imported["KeyMaterialId"]
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext={"k": "v"})["Plaintext"] == b"kept"
    [entry] = kms.list_key_rotations(KeyId=key_id, IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
    assert entry == {"KeyId": key_id, "KeyMaterialId": imported["KeyMaterialId"],
                     "KeyMaterialDescription": "from the HSM", "ImportState": "IMPORTED",
                     "KeyMaterialState": "CURRENT", "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"}
    assert kms.list_key_rotations(KeyId=key_id)["Rotations"] == []

    # New material for an on-demand rotation: it waits, pending rotation, until RotateKeyOnDemand makes it current.
    new = import_material(kms, key_id, os.urandom(32), ImportType="NEW_KEY_MATERIAL", KeyMaterialDescription="second")
    assert new["KeyMaterialId"] != imported["KeyMaterialId"]
    states = [(m["KeyMaterialId"], m["KeyMaterialState"])
              for m in kms.list_key_rotations(KeyId=key_id, IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]]
    assert states == [(imported["KeyMaterialId"], "CURRENT"), (new["KeyMaterialId"], "PENDING_ROTATION")]
    with pytest.raises(ClientError) as refused:
        import_material(kms, key_id, os.urandom(32), ImportType="NEW_KEY_MATERIAL")
    assert code(refused)[0] == "KMSInvalidStateException", "one material pending at a time"
    kms.rotate_key_on_demand(KeyId=key_id)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["CurrentKeyMaterialId"] == new["KeyMaterialId"]
    [rotation] = kms.list_key_rotations(KeyId=key_id)["Rotations"]
    assert (rotation["KeyMaterialId"], rotation["RotationType"], rotation["ImportState"]) == (
        new["KeyMaterialId"], "ON_DEMAND", "IMPORTED")
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext={"k": "v"})["Plaintext"] == b"kept"
    with pytest.raises(ClientError) as refused:
        kms.rotate_key_on_demand(KeyId=key_id)
    assert code(refused) == ("KMSInvalidStateException",
                             f"No available key material pending rotation for the key: {created['Arn']}.")


def test_import_parameters_are_single_use_bound_to_their_key_and_checked(kms, server):
    key_id = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    other = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    parameters = kms.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_1",
                                               WrappingKeySpec="RSA_3072")
    assert parameters["KeyId"].endswith(key_id)
    valid_hours = (parameters["ParametersValidTo"] - server_now(server)).total_seconds() / 3600
    assert 23.9 < valid_hours <= 24
    assert serialization.load_der_public_key(parameters["PublicKey"]).key_size == 3072
    wrapped = wrap(parameters, "RSAES_OAEP_SHA_1", os.urandom(32))
    token = parameters["ImportToken"]
    with pytest.raises(ClientError) as refused:
        kms.import_key_material(KeyId=other, ImportToken=token, EncryptedKeyMaterial=wrapped,
                                ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert code(refused)[0] == "InvalidImportTokenException", "a token belongs to its key"
    with pytest.raises(ClientError) as refused:
        kms.import_key_material(KeyId=key_id, ImportToken=token, EncryptedKeyMaterial=wrapped[:-1] + b"\0",
                                ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert code(refused)[0] == "InvalidCiphertextException"
    with pytest.raises(ClientError) as refused:
        kms.import_key_material(KeyId=key_id, ImportToken=token, EncryptedKeyMaterial=wrapped,
                                ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert code(refused)[0] == "InvalidImportTokenException", "a refused import spends its token"
    with pytest.raises(ClientError) as refused:
        kms.import_key_material(KeyId=key_id, ImportToken=token, EncryptedKeyMaterial=wrapped)
    assert code(refused) == ("ValidationException",
                             "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES")
    parameters = kms.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_1",
                                               WrappingKeySpec="RSA_3072")
    wrapped = wrap(parameters, "RSAES_OAEP_SHA_1", os.urandom(32))
    token = parameters["ImportToken"]
    kms.import_key_material(KeyId=key_id, ImportToken=token, EncryptedKeyMaterial=wrapped,
                            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    with pytest.raises(ClientError) as refused:
        kms.import_key_material(KeyId=key_id, ImportToken=token, EncryptedKeyMaterial=wrapped,
                                ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert code(refused)[0] == "InvalidImportTokenException", "single use"

    with pytest.raises(ClientError) as refused:
        kms.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm="RSAES_PKCS1_V1_5", WrappingKeySpec="RSA_2048")
    assert code(refused)[0] == "UnsupportedOperationException"
    generated = kms.create_key()["KeyMetadata"]
    with pytest.raises(ClientError) as refused:
        kms.get_parameters_for_import(KeyId=generated["KeyId"], WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                      WrappingKeySpec="RSA_2048")
    assert code(refused) == ("UnsupportedOperationException",
                             f"{generated['Arn']} origin is AWS_KMS which is not valid for this operation.")
    for call in (kms.enable_key_rotation, kms.get_key_rotation_status):
        with pytest.raises(ClientError) as refused:
            call(KeyId=key_id)
        assert code(refused)[0] == "UnsupportedOperationException"
    with pytest.raises(ClientError) as refused:
        kms.rotate_key_on_demand(KeyId=key_id)
    assert code(refused)[0] == "KMSInvalidStateException"


def test_material_expires_when_the_dev_clock_passes_valid_to_and_the_event_is_audited(kms, server):
    created = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    key_id = created["KeyId"]
    now = server_now(server)
    with pytest.raises(ClientError) as refused:
        import_material(kms, key_id, os.urandom(32), ExpirationModel="KEY_MATERIAL_EXPIRES",
                        ValidTo=now + datetime.timedelta(days=366))
    assert code(refused)[0] == "ValidationException"
    valid_to = now + datetime.timedelta(hours=1)
    import_material(kms, key_id, os.urandom(32), ExpirationModel="KEY_MATERIAL_EXPIRES", ValidTo=valid_to)
    metadata = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert metadata["ExpirationModel"] == "KEY_MATERIAL_EXPIRES"
    assert abs((metadata["ValidTo"] - valid_to).total_seconds()) < 1

    server.advance_clock(2 * 3600)
    deadline = time.time() + 5
    while kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] != "PendingImport":
        assert time.time() < deadline, "the material did not expire within 5 seconds of ValidTo"
        time.sleep(0.05)
    events = [json.loads(line) for line in trent(server, "audit", "events", "--key", key_id).splitlines()]
    expired = [e for e in events if e["eventName"] == "DeleteExpiredKeyMaterial"]
    assert [(e["eventType"], e["userIdentity"]["type"]) for e in expired] == [("AwsServiceEvent", "AWSService")]
    [material] = json.loads(trent(server, "key", "describe", key_id))["Materials"]
    assert (material["Origin"], material["ImportState"], material["KeyMaterialState"]) == (
        "EXTERNAL", "PENDING_IMPORT", "CURRENT")
    assert abs(material["ValidTo"] - valid_to.timestamp()) < 1
    with pytest.raises(ClientError) as refused:
        kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")
    assert code(refused)[0] == "KMSInvalidStateException"


def test_asymmetric_material_wrapped_with_openssl_signs_as_its_own_key(kms, aws, tmp_path):
    key_id = kms.create_key(Origin="EXTERNAL", KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    private = ec.generate_private_key(ec.SECP256R1())
    (tmp_path / "key.der").write_bytes(private.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    status, parameters, stderr = aws("get-parameters-for-import", "--key-id", key_id,
                                     "--wrapping-algorithm", "RSA_AES_KEY_WRAP_SHA_256", "--wrapping-key-spec", "RSA_2048")
    assert status == 0, stderr
    (tmp_path / "wrapping.der").write_bytes(base64.b64decode(parameters["PublicKey"]))
    (tmp_path / "token.bin").write_bytes(base64.b64decode(parameters["ImportToken"]))
    aes_key = os.urandom(32)
    (tmp_path / "aes.bin").write_bytes(aes_key)
    # The two halves of RSA_AES_KEY_WRAP_SHA_256 as AWS's guide builds them with OpenSSL.
    subprocess.run(["openssl", "pkeyutl", "-encrypt", "-in", "aes.bin", "-out", "aes.wrapped", "-inkey", "wrapping.der",
                    "-keyform", "DER", "-pubin", "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256",
                    "-pkeyopt", "rsa_mgf1_md:sha256"], cwd=tmp_path, check=True)
    subprocess.run(["openssl", "enc", "-id-aes256-wrap-pad", "-K", aes_key.hex(), "-iv", "A65959A6", "-in", "key.der",
                    "-out", "key.wrapped"], cwd=tmp_path, check=True)
    (tmp_path / "material.bin").write_bytes((tmp_path / "aes.wrapped").read_bytes() + (tmp_path / "key.wrapped").read_bytes())
    status, imported, stderr = aws("import-key-material", "--key-id", key_id,
                                   "--encrypted-key-material", f"fileb://{tmp_path / 'material.bin'}",
                                   "--import-token", f"fileb://{tmp_path / 'token.bin'}",
                                   "--expiration-model", "KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert status == 0, stderr
    metadata = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert metadata["KeyState"] == "Enabled" and "CurrentKeyMaterialId" not in metadata
    public = kms.get_public_key(KeyId=key_id)["PublicKey"]
    assert public == private.public_key().public_bytes(serialization.Encoding.DER,
                                                       serialization.PublicFormat.SubjectPublicKeyInfo)
    signature = kms.sign(KeyId=key_id, Message=b"signed", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    private.public_key().verify(signature, b"signed", ec.ECDSA(hashes.SHA256()))

    kms.delete_imported_key_material(KeyId=key_id)
    with pytest.raises(ClientError) as refused:
        kms.sign(KeyId=key_id, Message=b"signed", SigningAlgorithm="ECDSA_SHA_256")
    assert code(refused)[0] == "KMSInvalidStateException"
    other = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    with pytest.raises(ClientError) as refused:
        import_material(kms, key_id, other, algorithm="RSA_AES_KEY_WRAP_SHA_256")
    assert code(refused)[0] == "IncorrectKeyMaterialException"
    # The same material again, wrapped afresh (OAEP with SHA-1 this time), brings the key back.
    import_material(kms, key_id, (tmp_path / "key.der").read_bytes(), algorithm="RSA_AES_KEY_WRAP_SHA_1")
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"


def test_hmac_material_of_any_length_the_spec_takes_makes_the_macs_of_that_key(kms):
    import hashlib
    import hmac

    key_id = kms.create_key(Origin="EXTERNAL", KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as refused:
        import_material(kms, key_id, os.urandom(31))
    assert code(refused)[0] == "IncorrectKeyMaterialException", "shorter than the spec's 256 bits"
    secret = os.urandom(64)
    import_material(kms, key_id, secret)
    mac = kms.generate_mac(KeyId=key_id, Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"]
    assert mac == hmac.new(secret, b"m", hashlib.sha256).digest()
    with pytest.raises(ClientError) as refused:
        import_material(kms, key_id, secret, ImportType="EXISTING_KEY_MATERIAL")
    assert code(refused)[0] == "ValidationException", "ImportType is for symmetric encryption keys only"


def test_a_key_waiting_for_its_material_can_be_deleted_for_good(kms, server):
    key_id = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    import_material(kms, key_id, os.urandom(32))
    kms.delete_imported_key_material(KeyId=key_id)
    scheduled = kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert scheduled["KeyState"] == "PendingDeletion"
    with pytest.raises(ClientError) as refused:
        kms.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048")
    assert code(refused)[0] == "KMSInvalidStateException"
    assert kms.cancel_key_deletion(KeyId=key_id)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingImport", "no material: it waits"
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    server.advance_clock(7 * 86400 + 1)
    wait_until_gone(kms, key_id)


def test_alibabas_sdks_import_delete_and_reimport_the_same_material(server):
    from conftest import make_client
    from test_alibaba import CLIENTS, REGION, AlibabaError

    kms = make_client(server, region=REGION)

    for flavour, make in sorted(CLIENTS.items()):
        ali = make(server.alibaba_host)
        key_id = ali.call("CreateKey", Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
        metadata = ali.call("DescribeKey", KeyId=key_id)["KeyMetadata"]
        assert (metadata["Origin"], metadata["KeyState"], metadata["MaterialExpireTime"]) == (
            "EXTERNAL", "PendingImport", ""), flavour
        parameters = ali.call("GetParametersForImport", KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                              WrappingKeySpec="RSA_2048")
        assert parameters["KeyId"] == key_id and parameters["TokenExpireTime"].endswith("Z")
        material = os.urandom(32)
        public = serialization.load_der_public_key(base64.b64decode(parameters["PublicKey"]))
        wrapped = base64.b64encode(public.encrypt(material, oaep("RSAES_OAEP_SHA_256"))).decode()
        expires = int(server_now(server).timestamp()) + 400 * 86400  # past AWS's 365 days: Alibaba sets no bound
        ali.call("ImportKeyMaterial", KeyId=key_id, ImportToken=parameters["ImportToken"],
                 EncryptedKeyMaterial=wrapped, KeyMaterialExpireUnix=expires)
        metadata = ali.call("DescribeKey", KeyId=key_id)["KeyMetadata"]
        assert metadata["KeyState"] == "Enabled" and metadata["MaterialExpireTime"].endswith("Z"), flavour
        blob = ali.call("Encrypt", KeyId=key_id, Plaintext="kept")["CiphertextBlob"]

        ali.call("DeleteKeyMaterial", KeyId=key_id)
        with pytest.raises(AlibabaError) as refused:
            ali.call("Decrypt", CiphertextBlob=blob)
        assert (refused.value.status, refused.value.code) == (409, "Rejected.PendingImport"), flavour
        with pytest.raises(AlibabaError) as refused:
            ali.call("ImportKeyMaterial", KeyId=key_id, ImportToken=parameters["ImportToken"],
                     EncryptedKeyMaterial=wrapped)
        assert (refused.value.status, refused.value.code) == (400, "InvalidImportToken"), "single use"
        again = ali.call("GetParametersForImport", KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_1",
                         WrappingKeySpec="RSA_2048")
        public = serialization.load_der_public_key(base64.b64decode(again["PublicKey"]))
        ali.call("ImportKeyMaterial", KeyId=key_id, ImportToken=again["ImportToken"],
                 EncryptedKeyMaterial=base64.b64encode(public.encrypt(material, oaep("RSAES_OAEP_SHA_1"))).decode())
        assert ali.call("Decrypt", CiphertextBlob=blob)["Plaintext"] == "kept", flavour
        assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["Origin"] == "EXTERNAL", "one key store"
