"""Alibaba's own Python SDKs, unchanged, against Trent's Alibaba Cloud KMS API: the Tea SDK
(alibabacloud-kms20160120, V3 ACS3-HMAC-SHA256 signatures, and again with signature_algorithm='v2', RPC v1) and the
legacy SDK (aliyun-python-sdk-kms, RPC v1). The same key is also watched through boto3: one key store, one lifecycle."""

import base64
import importlib
import json
import re
import time

import pytest
from botocore.exceptions import ClientError

from conftest import make_client

DAY = 86400
REGION = "cn-hangzhou"


class AlibabaError(Exception):
    def __init__(self, status, code, message):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


def snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class TeaClient:
    """alibabacloud-kms20160120: V3 signatures by default, RPC v1 with signature_algorithm='v2'."""

    def __init__(self, endpoint, access_key="test", secret="test", signature_algorithm=None):
        from alibabacloud_kms20160120.client import Client
        from alibabacloud_tea_openapi import models as open_api

        config = open_api.Config(access_key_id=access_key, access_key_secret=secret, endpoint=endpoint,
                                 protocol="http", region_id=REGION)
        if signature_algorithm:
            config.signature_algorithm = signature_algorithm
        self.client = Client(config)

    def call(self, operation, **params):
        from alibabacloud_kms20160120 import models
        from alibabacloud_tea_openapi.exceptions import ClientException, ServerException

        fields = {snake(name): (json.loads(value) if name.endswith("EncryptionContext") else value)
                  for name, value in params.items()}
        request = getattr(models, f"{operation}Request")(**fields)
        try:
            return getattr(self.client, snake(operation))(request).body.to_map()
        except (ClientException, ServerException) as error:
            raise AlibabaError(error.status_code, error.code, error.data.get("Message")) from None


class LegacyClient:
    """aliyun-python-sdk-kms over aliyun-python-sdk-core: RPC v1 (HMAC-SHA1) signatures, RegionId in every call."""

    def __init__(self, endpoint, access_key="test", secret="test"):
        from aliyunsdkcore.client import AcsClient

        self.endpoint = endpoint
        self.client = AcsClient(access_key, secret, REGION)

    def call(self, operation, **params):
        from aliyunsdkcore.acs_exception.exceptions import ServerException

        module = importlib.import_module(f"aliyunsdkkms.request.v20160120.{operation}Request")
        request = getattr(module, f"{operation}Request")()
        request.set_endpoint(self.endpoint)
        request.set_protocol_type("http")
        for name, value in params.items():
            getattr(request, f"set_{name}")(value)
        try:
            return json.loads(self.client.do_action_with_exception(request))
        except ServerException as error:
            raise AlibabaError(error.get_http_status(), error.get_error_code(), error.get_error_msg()) from None


CLIENTS = {
    "tea-v3": lambda endpoint, **kw: TeaClient(endpoint, **kw),
    "tea-v2": lambda endpoint, **kw: TeaClient(endpoint, signature_algorithm="v2", **kw),
    "legacy": lambda endpoint, **kw: LegacyClient(endpoint, **kw),
}


@pytest.fixture(params=sorted(CLIENTS))
def ali(request, server):
    return CLIENTS[request.param](server.alibaba_host)


def refusal(call, *args, **kwargs):
    with pytest.raises(AlibabaError) as caught:
        call(*args, **kwargs)
    return caught.value.status, caught.value.code


def state(ali, key_id):
    return ali.call("DescribeKey", KeyId=key_id)["KeyMetadata"]["KeyState"]


def wait_until_deleted(ali, key_id):
    deadline = time.time() + 3
    while time.time() < deadline:
        try:
            ali.call("DescribeKey", KeyId=key_id)
        except AlibabaError as error:
            return error.status, error.code
        time.sleep(0.05)
    pytest.fail("key not deleted within 3 seconds of its deletion date")


def test_a_key_lives_and_dies_by_alibabas_rules(ali, server):
    created = ali.call("CreateKey", Description="orders")["KeyMetadata"]
    key_id, arn = created["KeyId"], created["Arn"]
    assert (created["KeyState"], created["KeySpec"], created["KeyUsage"]) == ("Enabled", "Aliyun_AES_256", "ENCRYPT/DECRYPT")
    assert arn == f"acs:kms:{REGION}:111122223333:key/{key_id}"
    described = ali.call("DescribeKey", KeyId=arn)["KeyMetadata"]
    assert described["DeleteDate"] == "" and described["DeletionProtection"] == "Disabled"
    assert described["Description"] == "orders" and described["Creator"] == "111122223333"

    context = json.dumps({"app": "orders", "n": 1})
    encrypted = ali.call("Encrypt", KeyId=key_id, Plaintext="aGVsbG8=", EncryptionContext=context)
    assert encrypted["KeyId"] == key_id and encrypted["KeyVersionId"] == created["PrimaryKeyVersion"]
    blob = encrypted["CiphertextBlob"]
    # The context is compared as a map: compact JSON decrypts what spaced JSON encrypted.
    decrypted = ali.call("Decrypt", CiphertextBlob=blob, EncryptionContext='{"n":1,"app":"orders"}')
    assert (decrypted["Plaintext"], decrypted["KeyId"]) == ("aGVsbG8=", key_id)
    assert refusal(ali.call, "Decrypt", CiphertextBlob=blob, EncryptionContext='{"app":"other"}')[0] == 400

    ali.call("DisableKey", KeyId=key_id)
    assert refusal(ali.call, "Encrypt", KeyId=key_id, Plaintext="eA==") == (409, "Rejected.Disabled")

    for days in (6, 367):
        assert refusal(ali.call, "ScheduleKeyDeletion", KeyId=key_id, PendingWindowInDays=days) == (400, "InvalidParameter")
        assert state(ali, key_id) == "Disabled"
    assert refusal(ali.call, "ScheduleKeyDeletion", KeyId=key_id) == (400, "MissingParameter")
    assert refusal(ali.call, "CancelKeyDeletion", KeyId=key_id) == (409, "Rejected.StateModifiedFailed")

    for days in (366, 7):
        ali.call("ScheduleKeyDeletion", KeyId=key_id, PendingWindowInDays=days)
        pending = ali.call("DescribeKey", KeyId=key_id)["KeyMetadata"]
        assert pending["KeyState"] == "PendingDeletion" and pending["DeleteDate"].endswith("Z")
        assert refusal(ali.call, "Encrypt", KeyId=key_id, Plaintext="eA==") == (409, "Rejected.PendingDeletion")
        assert refusal(ali.call, "Decrypt", CiphertextBlob=blob, EncryptionContext=context) == (409, "Rejected.PendingDeletion")
        assert refusal(ali.call, "EnableKey", KeyId=key_id) == (409, "Rejected.StateModifiedFailed")
        assert refusal(ali.call, "SetDeletionProtection", ProtectedResourceArn=arn, EnableDeletionProtection=True)[0] == 409
        # Cancelling on Alibaba's API returns the key Enabled, not Disabled as AWS's does.
        ali.call("CancelKeyDeletion", KeyId=key_id)
        assert state(ali, key_id) == "Enabled"
        ali.call("DisableKey", KeyId=key_id)

    ali.call("SetDeletionProtection", ProtectedResourceArn=arn, EnableDeletionProtection=True,
             DeletionProtectionDescription="keeps the orders")
    assert ali.call("DescribeKey", KeyId=key_id)["KeyMetadata"]["DeletionProtection"] == "Enabled"
    assert refusal(ali.call, "ScheduleKeyDeletion", KeyId=key_id, PendingWindowInDays=7) == (409, "Rejected.StateModifiedFailed")
    assert state(ali, key_id) == "Disabled"
    ali.call("SetDeletionProtection", ProtectedResourceArn=arn, EnableDeletionProtection=False)

    ali.call("ScheduleKeyDeletion", KeyId=key_id, PendingWindowInDays=7)
    server.advance_clock(7 * DAY + 1)
    assert wait_until_deleted(ali, key_id) == (404, "Forbidden.KeyNotFound")
    assert refusal(ali.call, "Decrypt", CiphertextBlob=blob, EncryptionContext=context)[0] in (400, 404)


def test_one_key_store_behind_both_apis(server):
    """A key made through Alibaba's API in cn-hangzhou is the key boto3 sees in cn-hangzhou: state, deletion date and
    protection agree, and a deletion scheduled through one API is cancelled through the other."""
    ali = TeaClient(server.alibaba_host)
    kms = make_client(server, region=REGION)
    key_id = ali.call("CreateKey")["KeyMetadata"]["KeyId"]
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"

    ali.call("ScheduleKeyDeletion", KeyId=key_id, PendingWindowInDays=200)
    aws_view = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    ali_view = ali.call("DescribeKey", KeyId=key_id)["KeyMetadata"]
    assert aws_view["KeyState"] == ali_view["KeyState"] == "PendingDeletion"
    assert aws_view["DeletionDate"].strftime("%Y-%m-%dT%H:%M:%SZ") == ali_view["DeleteDate"]
    # AWS's cancel returns the key Disabled, whichever API scheduled it.
    kms.cancel_key_deletion(KeyId=key_id)
    assert state(ali, key_id) == "Disabled"

    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    ali.call("CancelKeyDeletion", KeyId=key_id)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"

    ali.call("SetDeletionProtection", KeyId=key_id, EnableDeletionProtection=True)
    with pytest.raises(ClientError) as refused:
        kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert refused.value.response["Error"]["Code"] == "KMSInvalidStateException"

    # Ciphertexts cross too: what boto3 encrypted, Alibaba's Decrypt opens (bytes that are not text come back in
    # base64), and the other way.
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"from aws")["CiphertextBlob"]
    assert ali.call("Decrypt", CiphertextBlob=base64.b64encode(blob).decode())["Plaintext"] == "from aws"
    ali_blob = ali.call("Encrypt", KeyId=key_id, Plaintext="from alibaba")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=base64.b64decode(ali_blob))["Plaintext"] == b"from alibaba"


def test_data_keys_aliases_and_lists(ali):
    key_id = ali.call("CreateKey")["KeyMetadata"]["KeyId"]
    data_key = ali.call("GenerateDataKey", KeyId=key_id, NumberOfBytes=16)
    assert len(base64.b64decode(data_key["Plaintext"])) == 16
    assert ali.call("Decrypt", CiphertextBlob=data_key["CiphertextBlob"])["Plaintext"] == data_key["Plaintext"]
    without = ali.call("GenerateDataKeyWithoutPlaintext", KeyId=key_id, KeySpec="AES_128")
    assert "Plaintext" not in without
    assert len(base64.b64decode(ali.call("Decrypt", CiphertextBlob=without["CiphertextBlob"])["Plaintext"])) == 16

    ali.call("CreateAlias", AliasName="alias/orders", KeyId=key_id)
    assert ali.call("DescribeKey", KeyId="alias/orders")["KeyMetadata"]["KeyId"] == key_id
    assert refusal(ali.call, "CreateAlias", AliasName="alias/orders", KeyId=key_id) == (400, "AliasAlreadyExists")
    assert refusal(ali.call, "CreateAlias", AliasName="alias/acs/ecs", KeyId=key_id) == (400, "InvalidParameter")
    assert refusal(ali.call, "DescribeKey", KeyId="alias/missing") == (404, "Forbidden.AliasNotFound")
    aliases = ali.call("ListAliasesByKeyId", KeyId=key_id)
    assert aliases["TotalCount"] == 1
    assert aliases["Aliases"]["Alias"][0]["AliasArn"] == f"acs:kms:{REGION}:111122223333:alias/orders"

    for _ in range(2):
        ali.call("CreateKey")
    listed = ali.call("ListKeys", PageSize=2, PageNumber=2)
    assert (listed["TotalCount"], listed["PageNumber"], listed["PageSize"]) == (3, 2, 2)
    assert len(listed["Keys"]["Key"]) == 1

    versions = ali.call("ListKeyVersions", KeyId=key_id)["KeyVersions"]["KeyVersion"]
    assert len(versions) == 1
    version = ali.call("DescribeKeyVersion", KeyId=key_id, KeyVersionId=versions[0]["KeyVersionId"])
    assert version["KeyVersion"]["KeyId"] == key_id
    assert refusal(ali.call, "DescribeKey", KeyId="00000000-0000-4000-8000-000000000000") == (404, "Forbidden.KeyNotFound")


def test_unimplemented_operations_say_so(server):
    ali = TeaClient(server.alibaba_host)
    key_id = ali.call("CreateKey")["KeyMetadata"]["KeyId"]
    status, code = refusal(ali.call, "CreateKeyVersion", KeyId=key_id)
    assert (status, code) == (400, "Rejected.UnsupportedOperation")


def test_wrong_secrets_and_unknown_keys_are_refused(server):
    assert refusal(TeaClient(server.alibaba_host, secret="wrong").call, "CreateKey")[1] == "SignatureDoesNotMatch"
    # The legacy SDK rewrites SignatureDoesNotMatch to InvalidAccessKeySecret when the server's string to sign, after
    # the message's colon, is its own: Trent's message is shaped so it can.
    assert refusal(LegacyClient(server.alibaba_host, secret="wrong").call, "CreateKey")[1] == "InvalidAccessKeySecret"
    for make in CLIENTS.values():
        assert refusal(make(server.alibaba_host, access_key="nobody").call, "CreateKey") == (404, "InvalidAccessKeyId.NotFound")
    assert TeaClient(server.alibaba_host).call("ListKeys")["TotalCount"] == 0, "no refused call made a key"
