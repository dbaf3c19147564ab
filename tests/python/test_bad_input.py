"""Bad input through boto3 and the aws CLI: each gets AWS's error type and changes nothing."""

import datetime
from unittest import mock

import pytest
from botocore.exceptions import ClientError

from conftest import make_client


def error_of(call):
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response["Error"]["Code"], e.value.response["Error"].get("Message", "")


@pytest.fixture
def key(kms):
    return kms.create_key()["KeyMetadata"]


def state(kms, key):
    metadata = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    return metadata["KeyState"], metadata.get("DeletionDate")


@pytest.mark.parametrize("days", [6, 31])
def test_window_outside_7_to_30_is_refused_by_the_service_rule(kms, key, days):
    assert error_of(lambda: kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=days)) == (
        "ValidationException", "PendingWindowInDays must be between 7 and 30")
    assert state(kms, key) == ("Enabled", None)


@pytest.mark.parametrize("days", [0, -1])
def test_window_outside_the_model_range_gets_the_model_message(kms, key, days):
    code, message = error_of(lambda: kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=days))
    assert code == "ValidationException"
    assert message == (f"1 validation error detected: Value '{days}' at 'pendingWindowInDays' failed to satisfy "
                       "constraint: Member must have value greater than or equal to 1")
    assert state(kms, key) == ("Enabled", None)


def test_window_given_as_a_string_is_a_serialization_error(kms, key):
    code, _ = error_of(lambda: kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays="seven"))
    assert code == "SerializationException"
    assert state(kms, key) == ("Enabled", None)


def test_missing_key_id_is_a_validation_error(kms):
    assert error_of(lambda: kms.schedule_key_deletion(PendingWindowInDays=7)) == (
        "ValidationException",
        "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null")


def test_unknown_key_is_not_found(kms):
    code, message = error_of(lambda: kms.schedule_key_deletion(KeyId="1234abcd-12ab-34cd-56ef-1234567890ab"))
    assert code == "NotFoundException"
    assert message == "Key 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab' does not exist"


def test_malformed_arn_is_invalid_arn(kms):
    assert error_of(lambda: kms.describe_key(KeyId="arn:aws:kms:us-east-1:nope"))[0] == "InvalidArnException"


def test_malformed_key_id_is_not_found(kms):
    assert error_of(lambda: kms.describe_key(KeyId="not-a-key")) == ("NotFoundException", "Invalid keyId 'not-a-key'")


def test_oversized_plaintext_is_refused(kms, key):
    code, message = error_of(lambda: kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x" * 4097))
    assert code == "ValidationException"
    assert "Member must have length less than or equal to 4096" in message


def test_wrong_secret_is_an_invalid_signature(server, key):
    bad = make_client(server, secret="not-the-secret")
    assert error_of(lambda: bad.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7))[0] == "InvalidSignatureException"
    assert state(make_client(server), key) == ("Enabled", None)


def test_unknown_access_key_is_unrecognized(server, key):
    stranger = make_client(server, access_key="AKIANOBODY", secret="x")
    assert error_of(lambda: stranger.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7))[0] == "UnrecognizedClientException"
    assert state(make_client(server), key) == ("Enabled", None)


def test_expired_signature_date_is_refused(kms, key):
    old = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(minutes=20)
    with mock.patch("botocore.auth.get_current_datetime", return_value=old):
        code, message = error_of(lambda: kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7))
    assert code == "InvalidSignatureException"
    assert message.startswith("Signature expired:")
    assert state(kms, key) == ("Enabled", None)


def test_keys_are_invisible_from_another_region(server, key):
    elsewhere = make_client(server, region="eu-west-1")
    assert error_of(lambda: elsewhere.describe_key(KeyId=key["KeyId"]))[0] == "NotFoundException"
    assert elsewhere.list_keys()["Keys"] == []


@pytest.mark.parametrize("days", ["6", "31", "0", "-1", "seven"])
def test_the_cli_gets_the_same_refusals(aws, kms, key, days):
    rc, _, err = aws("schedule-key-deletion", "--key-id", key["KeyId"], "--pending-window-in-days", days)
    assert rc != 0
    assert "ValidationException" in err or "SerializationException" in err or "Invalid value" in err or "invalid" in err.lower(), err
    assert state(kms, key) == ("Enabled", None)


def test_the_cli_reports_unknown_keys(aws):
    rc, _, err = aws("cancel-key-deletion", "--key-id", "1234abcd-12ab-34cd-56ef-1234567890ab")
    assert rc != 0 and "NotFoundException" in err


def test_the_cli_reports_malformed_arns_and_oversized_plaintext(aws, tmp_path, key):
    rc, _, err = aws("describe-key", "--key-id", "arn:aws:kms:us-east-1:nope")
    assert rc != 0 and "InvalidArnException" in err, err
    big = tmp_path / "big"
    big.write_bytes(b"x" * 4097)
    rc, _, err = aws("encrypt", "--key-id", key["KeyId"], "--plaintext", f"fileb://{big}")
    assert rc != 0 and "ValidationException" in err, err


def test_the_cli_with_a_wrong_secret_or_unknown_key_changes_nothing(server, tmp_path, kms, key):
    import os
    import subprocess
    config = tmp_path / "cfg"
    config.write_text("[default]\nmax_attempts = 1\n")
    for access_key, secret, expected in (("test", "wrong", "InvalidSignatureException"),
                                         ("AKIANOBODY", "x", "UnrecognizedClientException")):
        env = dict(os.environ, AWS_ACCESS_KEY_ID=access_key, AWS_SECRET_ACCESS_KEY=secret, AWS_DEFAULT_REGION="us-east-1",
                   AWS_CONFIG_FILE=str(config), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"))
        done = subprocess.run(["aws", "--endpoint-url", server.endpoint, "kms", "schedule-key-deletion", "--key-id", key["KeyId"]],
                              capture_output=True, text=True, env=env, timeout=60)
        assert done.returncode != 0 and expected in done.stderr, done.stderr
    assert state(kms, key) == ("Enabled", None)
