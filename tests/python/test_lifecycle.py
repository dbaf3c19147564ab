"""The AWS deletion procedure through boto3 and through the aws CLI, against a real Trent."""

import time

import pytest
from botocore.exceptions import ClientError

DAY = 86_400


def code(error):
    return error.value.response["Error"]["Code"]


def test_deletion_procedure_through_boto3(kms, server):
    key = kms.create_key(Description="orders db")["KeyMetadata"]
    key_id, arn = key["KeyId"], key["Arn"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"secret", EncryptionContext={"app": "orders"})["CiphertextBlob"]

    kms.disable_key(KeyId=key_id)
    with pytest.raises(ClientError) as e:
        kms.encrypt(KeyId=key_id, Plaintext=b"x")
    assert code(e) == "DisabledException"

    scheduled = kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert scheduled["KeyId"] == arn and scheduled["KeyState"] == "PendingDeletion" and scheduled["PendingWindowInDays"] == 7
    for call in (lambda: kms.encrypt(KeyId=key_id, Plaintext=b"x"),
                 lambda: kms.decrypt(CiphertextBlob=blob, EncryptionContext={"app": "orders"}),
                 lambda: kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")):
        with pytest.raises(ClientError) as e:
            call()
        assert code(e) == "KMSInvalidStateException"
        assert e.value.response["Error"]["Message"] == f"{arn} is pending deletion."

    assert kms.cancel_key_deletion(KeyId=key_id)["KeyId"] == arn
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Disabled"
    kms.enable_key(KeyId=key_id)
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext={"app": "orders"})["Plaintext"] == b"secret"

    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    server.advance_clock(7 * DAY + 1)
    deadline = time.time() + 2
    while time.time() < deadline:
        try:
            kms.describe_key(KeyId=key_id)
        except ClientError as error:
            assert error.response["Error"]["Code"] == "NotFoundException"
            break
        time.sleep(0.05)
    else:
        pytest.fail("key not deleted within 2 seconds of its deletion date")
    with pytest.raises(ClientError) as e:
        kms.decrypt(CiphertextBlob=blob, EncryptionContext={"app": "orders"})
    assert code(e) == "NotFoundException"


def test_deletion_procedure_through_the_aws_cli(aws, server):
    rc, created, err = aws("create-key", "--description", "orders db")
    assert rc == 0, err
    key_id = created["KeyMetadata"]["KeyId"]
    assert aws("disable-key", "--key-id", key_id)[0] == 0
    rc, scheduled, err = aws("schedule-key-deletion", "--key-id", key_id, "--pending-window-in-days", "7")
    assert rc == 0, err
    assert scheduled["KeyState"] == "PendingDeletion"
    rc, _, err = aws("encrypt", "--key-id", key_id, "--plaintext", "aGVsbG8=")
    assert rc != 0 and "KMSInvalidStateException" in err
    rc, cancelled, err = aws("cancel-key-deletion", "--key-id", key_id)
    assert rc == 0 and cancelled["KeyId"].endswith(key_id), err
    rc, described, _ = aws("describe-key", "--key-id", key_id)
    assert described["KeyMetadata"]["KeyState"] == "Disabled"
    assert aws("enable-key", "--key-id", key_id)[0] == 0
    rc, listed, _ = aws("list-keys")
    assert [k["KeyId"] for k in listed["Keys"]] == [key_id]
