"""GetKeyLastUsage through boto3 and the aws CLI, against a Trent that records every call."""

import json
import os
import subprocess
import tempfile

import pytest
from botocore.exceptions import ClientError

from conftest import Server, make_client


@pytest.fixture(scope="module")
def audited():
    binary = os.environ.get("TRENT_BIN", "target/debug/trent")
    with tempfile.TemporaryDirectory() as data_dir:
        server = Server(binary, data_dir, ("--audit-calls", "true"))
        yield server
        server.stop()


def test_last_usage_names_the_last_successful_use_through_boto3(audited):
    kms = make_client(audited)
    key = kms.create_key()["KeyMetadata"]
    unused = kms.get_key_last_usage(KeyId=key["KeyId"])
    assert unused["KeyId"] == key["KeyId"]
    assert unused.get("KeyLastUsage", {}).get("Operation") is None
    assert unused["KeyCreationDate"] == key["CreationDate"]
    assert unused["TrackingStartDate"] >= key["CreationDate"]

    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    decrypted = kms.decrypt(CiphertextBlob=blob)
    kms.disable_key(KeyId=key["KeyId"])
    with pytest.raises(ClientError):
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"refused, so not a use")

    last = kms.get_key_last_usage(KeyId=key["Arn"])["KeyLastUsage"]
    assert last["Operation"] == "Decrypt"
    assert last["KmsRequestId"] == decrypted["ResponseMetadata"]["RequestId"]
    assert last["CloudTrailEventId"]

    with pytest.raises(ClientError) as e:
        kms.get_key_last_usage(KeyId="alias/not-accepted")
    assert e.value.response["Error"]["Code"] == "InvalidArnException"


def test_last_usage_through_the_aws_cli(audited, tmp_path):
    kms = make_client(audited)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")
    config = tmp_path / "aws-config"
    config.write_text("[default]\nmax_attempts = 1\n")
    env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1",
               AWS_CONFIG_FILE=str(config), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"))
    done = subprocess.run(["aws", "--endpoint-url", audited.endpoint, "kms", "get-key-last-usage", "--key-id", key_id,
                           "--output", "json"], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["KeyLastUsage"]["Operation"] == "GenerateDataKey"
