"""Key rotation on demand through boto3, the aws CLI and Alibaba's SDK: a key holds several materials, new
ciphertexts use the newest, every older ciphertext still decrypts and names the material that opened it."""

import pytest
from botocore.exceptions import ClientError

from conftest import make_client
from test_alibaba import REGION, TeaClient


def code(error):
    return error.value.response["Error"]["Code"], error.value.response["Error"]["Message"]


def test_rotation_on_demand_keeps_every_material_and_names_each(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    first = kms.describe_key(KeyId=key_id)["KeyMetadata"]["CurrentKeyMaterialId"]
    assert len(first) == 64
    old = kms.encrypt(KeyId=key_id, Plaintext=b"old", EncryptionContext={"a": "1"})["CiphertextBlob"]

    assert kms.rotate_key_on_demand(KeyId=key_id)["KeyId"].endswith(key_id)
    second = kms.describe_key(KeyId=key_id)["KeyMetadata"]["CurrentKeyMaterialId"]
    assert second != first
    new = kms.encrypt(KeyId=key_id, Plaintext=b"new")["CiphertextBlob"]

    opened_old = kms.decrypt(CiphertextBlob=old, EncryptionContext={"a": "1"})
    assert (opened_old["Plaintext"], opened_old["KeyMaterialId"]) == (b"old", first)
    opened_new = kms.decrypt(CiphertextBlob=new)
    assert (opened_new["Plaintext"], opened_new["KeyMaterialId"]) == (b"new", second)
    assert kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")["KeyMaterialId"] == second
    moved = kms.re_encrypt(CiphertextBlob=old, SourceEncryptionContext={"a": "1"}, DestinationKeyId=key_id)
    assert (moved["SourceKeyMaterialId"], moved["DestinationKeyMaterialId"]) == (first, second)

    rotations = kms.list_key_rotations(KeyId=key_id)
    assert rotations["Truncated"] is False
    [rotation] = rotations["Rotations"]
    assert (rotation["KeyMaterialId"], rotation["RotationType"], rotation["KeyId"]) == (second, "ON_DEMAND", key_id)
    assert rotation["RotationDate"].year >= 2026
    every = kms.list_key_rotations(KeyId=key_id, IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
    assert [(m["KeyMaterialId"], m["KeyMaterialState"]) for m in every] == [(first, "NON_CURRENT"), (second, "CURRENT")]
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False


def test_rotation_is_refused_as_aws_refuses_it(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.disable_key(KeyId=key_id)
    with pytest.raises(ClientError) as refused:
        kms.rotate_key_on_demand(KeyId=key_id)
    assert code(refused)[0] == "DisabledException"
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    with pytest.raises(ClientError) as refused:
        kms.rotate_key_on_demand(KeyId=key_id)
    assert code(refused)[0] == "KMSInvalidStateException"
    assert kms.list_key_rotations(KeyId=key_id)["Rotations"] == [], "a refused rotation made no material"

    rsa = kms.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]
    assert "CurrentKeyMaterialId" not in rsa
    for call in (kms.rotate_key_on_demand, kms.list_key_rotations, kms.get_key_rotation_status):
        with pytest.raises(ClientError) as refused:
            call(KeyId=rsa["KeyId"])
        assert code(refused)[0] == "UnsupportedOperationException"

    quota = kms.create_key()["KeyMetadata"]["KeyId"]
    for _ in range(25):
        kms.rotate_key_on_demand(KeyId=quota)
    with pytest.raises(ClientError) as refused:
        kms.rotate_key_on_demand(KeyId=quota)
    assert code(refused)[0] == "LimitExceededException"
    page = kms.list_key_rotations(KeyId=quota, Limit=10)
    assert (len(page["Rotations"]), page["Truncated"]) == (10, True)
    rest = kms.list_key_rotations(KeyId=quota, Limit=100, Marker=page["NextMarker"])
    assert len(rest["Rotations"]) == 15 and rest["Truncated"] is False


def test_the_aws_cli_rotates_and_lists(aws):
    status, created, _ = aws("create-key")
    key_id = created["KeyMetadata"]["KeyId"]
    status, _, stderr = aws("rotate-key-on-demand", "--key-id", key_id)
    assert status == 0, stderr
    status, listed, stderr = aws("list-key-rotations", "--key-id", key_id)
    assert status == 0 and len(listed["Rotations"]) == 1, stderr


def test_alibabas_key_versions_are_the_materials(server):
    kms = make_client(server, region=REGION)
    ali = TeaClient(server.alibaba_host)
    key_id = ali.call("CreateKey")["KeyMetadata"]["KeyId"]
    old = ali.call("Encrypt", KeyId=key_id, Plaintext="old")
    kms.rotate_key_on_demand(KeyId=key_id)
    new = ali.call("Encrypt", KeyId=key_id, Plaintext="new")
    versions = ali.call("ListKeyVersions", KeyId=key_id)
    assert versions["TotalCount"] == 2
    ids = [v["KeyVersionId"] for v in versions["KeyVersions"]["KeyVersion"]]
    assert ids == [old["KeyVersionId"], new["KeyVersionId"]] and ids[0] != ids[1]
    assert ali.call("DescribeKey", KeyId=key_id)["KeyMetadata"]["PrimaryKeyVersion"] == ids[1]
    assert ali.call("Decrypt", CiphertextBlob=old["CiphertextBlob"])["KeyVersionId"] == ids[0]
    assert ali.call("DescribeKeyVersion", KeyId=key_id, KeyVersionId=ids[0])["KeyVersion"]["KeyVersionId"] == ids[0]
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=365)
    metadata = ali.call("DescribeKey", KeyId=key_id)["KeyMetadata"]
    assert (metadata["AutomaticRotation"], metadata["RotationInterval"]) == ("Enabled", "31536000s")
    assert metadata["NextRotationDate"].endswith("Z")


def test_automatic_rotation_happens_when_the_dev_clock_passes_the_period(kms, server):
    import time

    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
    status = kms.get_key_rotation_status(KeyId=key_id)
    assert (status["KeyRotationEnabled"], status["RotationPeriodInDays"]) == (True, 90)
    first = status["NextRotationDate"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"before")["CiphertextBlob"]

    server.advance_clock(90 * 86400 + 1)
    deadline = time.time() + 5
    while not kms.list_key_rotations(KeyId=key_id)["Rotations"]:
        assert time.time() < deadline, "no automatic rotation within 5 seconds of its date"
        time.sleep(0.05)
    [rotation] = kms.list_key_rotations(KeyId=key_id)["Rotations"]
    assert rotation["RotationType"] == "AUTOMATIC"
    assert kms.get_key_rotation_status(KeyId=key_id)["NextRotationDate"] > first
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"before"

    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False, "not while pending deletion"
    kms.cancel_key_deletion(KeyId=key_id)
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True, "and back when cancelled"
    kms.enable_key(KeyId=key_id)
    kms.disable_key_rotation(KeyId=key_id)
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False
    with pytest.raises(ClientError) as refused:
        kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=89)
    assert code(refused)[0] == "ValidationException"
