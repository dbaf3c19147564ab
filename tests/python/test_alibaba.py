"""Alibaba's own Python SDKs, unchanged, against Trent's Alibaba Cloud KMS API: the Tea SDK
(alibabacloud-kms20160120, V3 ACS3-HMAC-SHA256 signatures, and again with signature_algorithm='v2', RPC v1) and the
legacy SDK (aliyun-python-sdk-kms, RPC v1). The same key is also watched through boto3: one key store, one lifecycle."""

import base64
import importlib
import json
import re
import tempfile
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
        # An operation without parameters has no request model, and its method takes none.
        request_model = getattr(models, f"{operation}Request", None)
        arguments = [request_model(**fields)] if request_model else []
        try:
            return getattr(self.client, snake(operation))(*arguments).body.to_map()
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


def test_asymmetric_keys_sign_verify_and_encrypt_with_openssl_peers(ali):
    """Signatures verify with Python's `cryptography` against GetPublicKey's PEM, and what `cryptography` encrypts
    with that PEM, AsymmetricDecrypt opens."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding

    signer = ali.call("CreateKey", KeySpec="EC_P256", KeyUsage="SIGN/VERIFY")["KeyMetadata"]["KeyId"]
    version = ali.call("ListKeyVersions", KeyId=signer)["KeyVersions"]["KeyVersion"][0]["KeyVersionId"]
    pem = ali.call("GetPublicKey", KeyId=signer, KeyVersionId=version)["PublicKey"]
    public = serialization.load_pem_public_key(pem.encode())
    digest = hashes.Hash(hashes.SHA256())
    digest.update(b"the orders of 2026")
    digest = digest.finalize()
    signed = ali.call("AsymmetricSign", KeyId=signer, KeyVersionId=version, Algorithm="ECDSA_SHA_256",
                      Digest=base64.b64encode(digest).decode())
    signature = base64.b64decode(signed["Value"])
    public.verify(signature, b"the orders of 2026", ec.ECDSA(hashes.SHA256()))
    verified = ali.call("AsymmetricVerify", KeyId=signer, KeyVersionId=version, Algorithm="ECDSA_SHA_256",
                        Digest=base64.b64encode(digest).decode(), Value=signed["Value"])
    assert verified["Value"] is True
    other = base64.b64encode(bytes(32)).decode()
    assert ali.call("AsymmetricVerify", KeyId=signer, KeyVersionId=version, Algorithm="ECDSA_SHA_256",
                    Digest=other, Value=signed["Value"])["Value"] is False
    assert refusal(ali.call, "AsymmetricSign", KeyId=signer, KeyVersionId="nope", Algorithm="ECDSA_SHA_256",
                   Digest=other) == (404, "Forbidden.KeyVersionNotFound")

    rsa = ali.call("CreateKey", KeySpec="RSA_2048", KeyUsage="ENCRYPT/DECRYPT")["KeyMetadata"]["KeyId"]
    version = ali.call("ListKeyVersions", KeyId=rsa)["KeyVersions"]["KeyVersion"][0]["KeyVersionId"]
    public = serialization.load_pem_public_key(
        ali.call("GetPublicKey", KeyId=rsa, KeyVersionId=version)["PublicKey"].encode())
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    sealed = base64.b64encode(public.encrypt(b"wrapped by openssl", oaep)).decode()
    opened = ali.call("AsymmetricDecrypt", KeyId=rsa, KeyVersionId=version, Algorithm="RSAES_OAEP_SHA_256",
                      CiphertextBlob=sealed)
    assert base64.b64decode(opened["Plaintext"]) == b"wrapped by openssl"
    made = ali.call("AsymmetricEncrypt", KeyId=rsa, KeyVersionId=version, Algorithm="RSAES_OAEP_SHA_256",
                    Plaintext=base64.b64encode(b"round trip").decode())["CiphertextBlob"]
    assert base64.b64decode(ali.call("AsymmetricDecrypt", KeyId=rsa, KeyVersionId=version,
                                     Algorithm="RSAES_OAEP_SHA_256", CiphertextBlob=made)["Plaintext"]) == b"round trip"
    assert refusal(ali.call, "CreateKey", KeySpec="EC_SM2")[1] == "Rejected.UnsupportedOperation"


def test_tags_reencryption_passwords_and_service_keys(ali):
    key_id = ali.call("CreateKey", Tags=json.dumps([{"TagKey": "team", "TagValue": "orders"}]))["KeyMetadata"]["KeyId"]
    ali.call("TagResource", KeyId=key_id, Tags=json.dumps([{"TagKey": "env", "TagValue": "prod"}]))
    tags = {t["TagKey"]: t["TagValue"] for t in ali.call("ListResourceTags", KeyId=key_id)["Tags"]["Tag"]}
    assert tags == {"team": "orders", "env": "prod"}
    ali.call("UntagResource", KeyId=key_id, TagKeys=json.dumps(["team"]))
    assert [t["TagKey"] for t in ali.call("ListResourceTags", KeyId=key_id)["Tags"]["Tag"]] == ["env"]
    assert refusal(ali.call, "TagResource", KeyId=key_id, Tags="not json") == (400, "InvalidParameter")

    other = ali.call("CreateKey")["KeyMetadata"]["KeyId"]
    blob = ali.call("Encrypt", KeyId=key_id, Plaintext="moving", EncryptionContext='{"a":"1"}')["CiphertextBlob"]
    moved = ali.call("ReEncrypt", CiphertextBlob=blob, SourceEncryptionContext='{"a":"1"}', DestinationKeyId=other,
                     DestinationEncryptionContext='{"b":"2"}')
    assert moved["KeyId"] == other
    assert ali.call("Decrypt", CiphertextBlob=moved["CiphertextBlob"], EncryptionContext='{"b":"2"}')["Plaintext"] == "moving"

    password = ali.call("GetRandomPassword", PasswordLength="20", ExcludePunctuation="true")["RandomPassword"]
    assert len(password) == 20 and password.isalnum()
    assert any(c.islower() for c in password) and any(c.isupper() for c in password) and any(c.isdigit() for c in password)
    assert refusal(ali.call, "GetRandomPassword", PasswordLength="7") == (400, "InvalidParameter")
    # A kind reduced to one character is still in every password (one of each kind is placed, then shuffled).
    punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
    for _ in range(10):
        drawn = ali.call("GetRandomPassword", PasswordLength="8", ExcludeCharacters=punctuation.replace("!", ""))
        assert "!" in drawn["RandomPassword"] and len(drawn["RandomPassword"]) == 8

    # alias/acs/<product> is an Alibaba service key: made on first use, it serves cryptography and refuses management.
    data_key = ali.call("GenerateDataKey", KeyId="alias/acs/ecs")
    service_key = ali.call("DescribeKey", KeyId="alias/acs/ecs")["KeyMetadata"]
    assert service_key["KeyId"] == data_key["KeyId"]
    assert refusal(ali.call, "DisableKey", KeyId=service_key["KeyId"]) == (403, "Forbidden.NoPermission")
    assert refusal(ali.call, "ScheduleKeyDeletion", KeyId=service_key["KeyId"], PendingWindowInDays=7)[0] == 403
    assert state(ali, service_key["KeyId"]) == "Enabled"


def test_deletion_protection_has_a_reason(ali):
    key = ali.call("CreateKey")["KeyMetadata"]
    ali.call("SetDeletionProtection", ProtectedResourceArn=key["Arn"], EnableDeletionProtection=True,
             DeletionProtectionDescription="holds the ledger")
    described = ali.call("DescribeKey", KeyId=key["KeyId"])["KeyMetadata"]
    assert (described["DeletionProtection"], described["DeletionProtectionDescription"]) == ("Enabled", "holds the ledger")
    ali.call("SetDeletionProtection", ProtectedResourceArn=key["Arn"], EnableDeletionProtection=False)
    described = ali.call("DescribeKey", KeyId=key["KeyId"])["KeyMetadata"]
    assert (described["DeletionProtection"], described["DeletionProtectionDescription"]) == ("Disabled", "")


def signed_rpc(host, action, params, secret="test", access_key="test", timestamp=None, nonce=None):
    """An RPC v1 request signed as `alibaba-kms-api.md` §1.3 and its Appendix B say (an oracle of the test's own, so
    that requests the SDKs never send, replays and stale ones, can be made)."""
    import hashlib
    import hmac
    import uuid
    from datetime import datetime, timezone
    from urllib.parse import quote

    pct = lambda s: quote(str(s), safe="-_.~")
    stamp = timestamp or datetime.now(timezone.utc)
    all_params = dict(params, Action=action, Version="2016-01-20", Format="JSON", AccessKeyId=access_key,
                      SignatureMethod="HMAC-SHA1", SignatureVersion="1.0",
                      SignatureNonce=nonce or uuid.uuid4().hex, Timestamp=stamp.strftime("%Y-%m-%dT%H:%M:%SZ"))
    canonical = "&".join(f"{pct(k)}={pct(v)}" for k, v in sorted(all_params.items()))
    to_sign = f"POST&{pct('/')}&{pct(canonical)}"
    digest = hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()
    all_params["Signature"] = base64.b64encode(digest).decode()
    return f"http://{host}/?" + "&".join(f"{pct(k)}={pct(v)}" for k, v in all_params.items())


def send(url):
    """POSTs a signed URL: (status, parsed body, headers)."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, data=b"", method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read()), response.headers
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), error.headers


def test_replays_stale_requests_and_bad_parameters_get_alibabas_codes_and_change_nothing(server):
    from datetime import datetime, timedelta, timezone

    host = server.alibaba_host
    url = signed_rpc(host, "CreateKey", {"Description": "once"})
    status, body, headers = send(url)
    assert status == 200 and headers["Content-Type"] == "application/json;charset=utf-8"
    assert headers["x-acs-request-id"] == body["RequestId"]
    status, body, _ = send(url)
    assert (status, body["Code"]) == (400, "SignatureNonceUsed")
    assert set(body) == {"RequestId", "HostId", "Code", "Message", "Recommend"}

    stale = datetime.now(timezone.utc) - timedelta(minutes=16)
    assert send(signed_rpc(host, "CreateKey", {}, timestamp=stale))[1]["Code"] == "InvalidTimeStamp.Expired"
    ahead = datetime.now(timezone.utc) + timedelta(minutes=16)
    assert send(signed_rpc(host, "CreateKey", {}, timestamp=ahead))[1]["Code"] == "InvalidTimeStamp.Expired"
    status, body, _ = send(signed_rpc(host, "CreateKey", {}, secret="wrong"))
    assert (status, body["Code"]) == (400, "SignatureDoesNotMatch")
    assert body["Message"].startswith("Specified signature is not matched with our calculation. server string to sign is:")
    assert send(signed_rpc(host, "CreateKey", {}, access_key="nobody"))[:2][0] == 404

    key_id = send(signed_rpc(host, "ListKeys", {}))[1]["Keys"]["Key"][0]["KeyId"]
    cases = [
        ("ListKeys", {"PageSize": "ten"}, "InvalidParameter"),
        ("ListKeys", {"PageSize": "101"}, "InvalidParameter"),
        ("ListKeys", {"PageNumber": "0"}, "InvalidParameter"),
        ("Encrypt", {"Plaintext": "eA=="}, "MissingParameter"),
        ("Encrypt", {"KeyId": key_id}, "MissingParameter"),
        ("Encrypt", {"KeyId": key_id, "Plaintext": "x", "EncryptionContext": "[1,2]"}, "InvalidParameter"),
        ("Decrypt", {"CiphertextBlob": "%%%"}, "InvalidParameter"),
        ("Decrypt", {"CiphertextBlob": base64.b64encode(b"not a blob").decode()}, None),
        ("ScheduleKeyDeletion", {"KeyId": key_id, "PendingWindowInDays": "7.5"}, "InvalidParameter"),
        ("ScheduleKeyDeletion", {"KeyId": key_id, "PendingWindowInDays": "-7"}, "InvalidParameter"),
        ("SetDeletionProtection", {"KeyId": key_id, "EnableDeletionProtection": "maybe"}, "InvalidParameter"),
        ("SetDeletionProtection", {"KeyId": key_id}, "MissingParameter"),
        ("GenerateDataKey", {"KeyId": key_id, "NumberOfBytes": "1025"}, "InvalidParameter"),
        ("GenerateDataKey", {"KeyId": key_id, "KeySpec": "AES_512"}, "InvalidParameter"),
        ("CreateKey", {"KeySpec": "AES_256"}, "InvalidParameter"),
        ("CreateKey", {"KeySpec": "EC_P256", "KeyUsage": "ENCRYPT/DECRYPT"}, "InvalidParameter"),
        ("DescribeKey", {"KeyId": "not-a-key"}, "Forbidden.KeyNotFound"),
        ("DescribeKey", {"KeyId": "acs:kms:cn-hangzhou:111122223333:key/nope"}, None),
        ("TagResources", {"ResourceType": "key"}, "MissingParameter"),
        ("NoSuchAction", {}, "InvalidAction.NotFound"),
        ("CreateSecret", {"SecretName": "s"}, "Rejected.UnsupportedOperation"),
    ]
    for action, params, code in cases:
        status, body, _ = send(signed_rpc(host, action, params))
        assert 400 <= status < 500, (action, params, status, body)
        assert code is None or body["Code"] == code, (action, params, body)
    listed = send(signed_rpc(host, "ListKeys", {}))[1]
    assert listed["TotalCount"] == 1, "no refused call made a key"
    described = send(signed_rpc(host, "DescribeKey", {"KeyId": key_id}))[1]["KeyMetadata"]
    assert (described["KeyState"], described["DeletionProtection"]) == ("Enabled", "Disabled"), "nor changed one"


def test_alibaba_calls_are_in_the_same_audit_trail_and_usage_evidence(server):
    """Every call through Alibaba's API is an audit event with eventSource kms.aliyuncs.com, and counts in the key's
    usage evidence beside the AWS API's calls."""
    import os
    import subprocess

    ali = TeaClient(server.alibaba_host)
    kms = make_client(server, region=REGION)
    key_id = ali.call("CreateKey")["KeyMetadata"]["KeyId"]
    ali.call("Encrypt", KeyId=key_id, Plaintext="x")
    kms.encrypt(KeyId=key_id, Plaintext=b"y")
    ali.call("DisableKey", KeyId=key_id)
    assert refusal(ali.call, "Encrypt", KeyId=key_id, Plaintext="z") == (409, "Rejected.Disabled")

    env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION=REGION)
    binary = os.environ.get("TRENT_BIN", "target/debug/trent")

    def trent(*args):
        done = subprocess.run([binary, *args, "--endpoint-url", server.endpoint, "--output", "json"],
                              capture_output=True, text=True, env=env, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout

    deadline = time.time() + 5
    while True:
        events = [json.loads(line) for line in trent("audit", "events", "--key", key_id).splitlines()]
        sources = [(e["eventName"], e["eventSource"], e.get("errorCode")) for e in events]
        if len(sources) >= 5 or time.time() > deadline:
            break
        time.sleep(0.1)
    assert ("CreateKey", "kms.aliyuncs.com", None) in sources, sources
    assert ("Encrypt", "kms.aliyuncs.com", None) in sources, sources
    assert ("Encrypt", "kms.amazonaws.com", None) in sources, sources
    assert ("DisableKey", "kms.aliyuncs.com", None) in sources, sources
    assert ("Encrypt", "kms.aliyuncs.com", "Rejected.Disabled") in sources, sources
    usage = json.loads(trent("key", "usage", key_id))
    assert usage["ByOperation"]["Encrypt"] == {"Succeeded": 2, "Failed": 1}, usage
    assert usage["FailuresByErrorCode"] == {"Rejected.Disabled": 1}, usage


def test_tags_of_several_keys_at_once_with_the_newer_calls(server):
    """TagResources, ListTagResources and UntagResources take several keys (`ResourceId.N`, `Tag.N.Key`), as the Tea
    SDK flattens its lists; a key that does not exist refuses the whole call and tags nothing."""
    from alibabacloud_kms20160120 import models

    ali = TeaClient(server.alibaba_host)
    first, second = (ali.call("CreateKey")["KeyMetadata"]["KeyId"] for _ in range(2))
    tea = ali.client
    tea.tag_resources(models.TagResourcesRequest(
        region_id=REGION, resource_type="key", resource_id=[first, second],
        tag=[models.TagResourcesRequestTag(key="team", value="orders"), models.TagResourcesRequestTag(key="env", value="prod")]))
    listed = tea.list_tag_resources(models.ListTagResourcesRequest(
        region_id=REGION, resource_type="key", resource_id=[first, second],
        tag=[models.ListTagResourcesRequestTag(key="team")])).body.to_map()
    assert listed["NextToken"] == ""
    assert sorted((t["ResourceId"], t["TagKey"], t["TagValue"]) for t in listed["TagResources"]["TagResource"]) == \
        sorted([(first, "team", "orders"), (second, "team", "orders")])

    missing = "00000000-0000-4000-8000-000000000000"
    with pytest.raises(Exception) as refused:
        tea.tag_resources(models.TagResourcesRequest(
            region_id=REGION, resource_type="key", resource_id=[first, missing],
            tag=[models.TagResourcesRequestTag(key="new", value="x")]))
    assert refused.value.code == "Forbidden.KeyNotFound"
    assert "new" not in {t["TagKey"] for t in ali.call("ListResourceTags", KeyId=first)["Tags"]["Tag"]}
    # A key whose state refuses tags refuses the whole call too.
    ali.call("ScheduleKeyDeletion", KeyId=second, PendingWindowInDays=7)
    with pytest.raises(Exception) as refused:
        tea.tag_resources(models.TagResourcesRequest(
            region_id=REGION, resource_type="key", resource_id=[first, second],
            tag=[models.TagResourcesRequestTag(key="new", value="x")]))
    assert (refused.value.status_code, refused.value.code) == (409, "Rejected.PendingDeletion")
    assert "new" not in {t["TagKey"] for t in ali.call("ListResourceTags", KeyId=first)["Tags"]["Tag"]}
    ali.call("CancelKeyDeletion", KeyId=second)

    # A key named twice is tagged once, not refused as a conflict with itself.
    tea.tag_resources(models.TagResourcesRequest(
        region_id=REGION, resource_type="key", resource_id=[first, first],
        tag=[models.TagResourcesRequestTag(key="twice", value="y")]))
    assert "twice" in {t["TagKey"] for t in ali.call("ListResourceTags", KeyId=first)["Tags"]["Tag"]}
    tea.untag_resources(models.UntagResourcesRequest(region_id=REGION, resource_type="key", resource_id=[first],
                                                     tag_key=["team", "twice"]))
    assert [t["TagKey"] for t in ali.call("ListResourceTags", KeyId=first)["Tags"]["Tag"]] == ["env"]
    tea.untag_resources(models.UntagResourcesRequest(region_id=REGION, resource_type="key", resource_id=[second],
                                                     all=True))
    assert ali.call("ListResourceTags", KeyId=second)["Tags"]["Tag"] == []


def test_data_keys_leave_only_encrypted_to_the_callers_own_public_key(ali):
    """ExportDataKey and GenerateAndExportDataKey: the data key comes out encrypted to an RSA public key the caller
    made with Python's `cryptography`, whose private key opens it to the bytes GenerateDataKey's Plaintext encodes."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_blob = base64.b64encode(private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).decode()
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    wrapping = dict(PublicKeyBlob=public_blob, WrappingKeySpec="RSA_2048", WrappingAlgorithm="RSAES_OAEP_SHA_256")

    key_id = ali.call("CreateKey")["KeyMetadata"]["KeyId"]
    data_key = ali.call("GenerateDataKey", KeyId=key_id, EncryptionContext='{"app":"x"}')
    exported = ali.call("ExportDataKey", CiphertextBlob=data_key["CiphertextBlob"], EncryptionContext='{"app":"x"}',
                        **wrapping)
    assert exported["KeyId"] == key_id
    assert private.decrypt(base64.b64decode(exported["ExportedDataKey"]), oaep) == base64.b64decode(data_key["Plaintext"])

    made = ali.call("GenerateAndExportDataKey", KeyId=key_id, NumberOfBytes=24, **wrapping)
    raw = private.decrypt(base64.b64decode(made["ExportedDataKey"]), oaep)
    assert len(raw) == 24
    assert base64.b64decode(ali.call("Decrypt", CiphertextBlob=made["CiphertextBlob"])["Plaintext"]) == raw
    assert refusal(ali.call, "ExportDataKey", CiphertextBlob=data_key["CiphertextBlob"],
                   **dict(wrapping, PublicKeyBlob=base64.b64encode(b"not a key").decode())) == (400, "InvalidParameter")
    # RSAES-OAEP SHA-256 with 2048 bits carries at most 190 bytes: a longer data key is refused before it is made.
    assert refusal(ali.call, "GenerateAndExportDataKey", KeyId=key_id, NumberOfBytes=191, **wrapping) == \
        (400, "InvalidParameter")
    assert ali.call("GenerateAndExportDataKey", KeyId=key_id, NumberOfBytes=190, **wrapping)["KeyId"] == key_id


def test_key_policies_and_the_account(ali):
    key_id = ali.call("CreateKey")["KeyMetadata"]["KeyId"]
    policy = json.loads(ali.call("GetKeyPolicy", KeyId=key_id, PolicyName="default")["Policy"])
    assert policy["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    mine = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                                                                "Action": "kms:*", "Resource": "*"}]})
    ali.call("SetKeyPolicy", KeyId=key_id, PolicyName="default", Policy=mine)
    assert json.loads(ali.call("GetKeyPolicy", KeyId=key_id, PolicyName="default")["Policy"]) == json.loads(mine)
    assert refusal(ali.call, "SetKeyPolicy", KeyId=key_id, PolicyName="default", Policy="{not json") == (400, "InvalidParameter")
    # Parameters travel in the URL: a policy near the 32 KB quota makes a request target of some 50 KB (the HTTP
    # stack's limit is 64 KiB: docs/alibaba.md).
    # The first statement keeps the account's root user in charge (AWS's lockout safety check refuses a policy that
    # would not let its author change it again).
    statements = [{"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "kms:*", "Resource": "*"}] + [
        {"Sid": f"s{i} \"quoted\" & spaced", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt",
         "Resource": "*"} for i in range(248)]
    large = json.dumps({"Version": "2012-10-17", "Statement": statements})
    assert 30_000 < len(large) < 32_768
    ali.call("SetKeyPolicy", KeyId=key_id, PolicyName="default", Policy=large)
    assert ali.call("GetKeyPolicy", KeyId=key_id, PolicyName="default")["Policy"] == large
    assert refusal(ali.call, "GetKeyPolicy", KeyId=key_id, PolicyName="other") == (400, "InvalidParameter")
    assert ali.call("DescribeAccountKmsStatus")["AccountStatus"] == "Enabled"
    assert ali.call("DescribeRegions")["Regions"]["Region"] == [{"RegionId": REGION}]


def test_a_request_changed_after_signing_is_refused(server):
    url = signed_rpc(server.alibaba_host, "CreateKey", {"Description": "as signed"})
    status, body, _ = send(url.replace("as%20signed", "changed"))
    assert (status, body["Code"]) == (400, "SignatureDoesNotMatch")
    assert send(signed_rpc(server.alibaba_host, "ListKeys", {}))[1]["TotalCount"] == 0


@pytest.mark.parametrize("spec", ["Aliyun_AES_128", "Aliyun_AES_192", "Aliyun_AES_256"])
def test_each_aes_key_size_encrypts_and_the_aws_side_sees_it(server, spec):
    ali = TeaClient(server.alibaba_host)
    created = ali.call("CreateKey", KeySpec=spec)["KeyMetadata"]
    assert created["KeySpec"] == spec and created["PrimaryKeyVersion"]
    blob = ali.call("Encrypt", KeyId=created["KeyId"], Plaintext="sized")["CiphertextBlob"]
    assert ali.call("Decrypt", CiphertextBlob=blob)["Plaintext"] == "sized"
    aws_view = make_client(server, region=REGION).describe_key(KeyId=created["KeyId"])["KeyMetadata"]
    assert aws_view["KeySpec"] == {"Aliyun_AES_256": "SYMMETRIC_DEFAULT"}.get(spec, spec)
    assert aws_view["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"]


def test_an_attempted_use_through_alibabas_api_raises_the_alarm_and_cancels_an_armed_deletion(server):
    """The safety net is the service's, so it holds on both APIs: cancel-on-use (armed through the AWS API's
    Trent.SetCancelOnUse, signed here with botocore's SigV4) is triggered by an Alibaba Encrypt on the pending key,
    which is refused, counted on /metrics, and leaves the key Disabled with its deletion cancelled."""
    import urllib.request

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    ali = TeaClient(server.alibaba_host)
    key_id = ali.call("CreateKey")["KeyMetadata"]["KeyId"]
    armed = AWSRequest(method="POST", url=server.endpoint + "/", data=json.dumps({"KeyId": key_id, "Enabled": True}),
                       headers={"X-Amz-Target": "Trent.SetCancelOnUse", "Content-Type": "application/x-amz-json-1.1"})
    SigV4Auth(Credentials("test", "test"), "kms", REGION).add_auth(armed)
    request = urllib.request.Request(armed.url, data=armed.body, headers=dict(armed.headers), method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.loads(response.read())["CancelOnUse"] is True

    def attempts():
        with urllib.request.urlopen(server.endpoint + "/metrics", timeout=10) as response:
            lines = response.read().decode().splitlines()
        return sum(float(line.rsplit(" ", 1)[1]) for line in lines
                   if line.startswith("trent_disabled_key_use_attempts_total") and 'state="PendingDeletion"' in line)

    before = attempts()
    ali.call("ScheduleKeyDeletion", KeyId=key_id, PendingWindowInDays=30)
    assert refusal(ali.call, "Encrypt", KeyId=key_id, Plaintext="x") == (409, "Rejected.PendingDeletion")
    described = ali.call("DescribeKey", KeyId=key_id)["KeyMetadata"]
    assert (described["KeyState"], described["DeleteDate"]) == ("Disabled", "")
    assert attempts() == before + 1


def test_a_user_s_access_key_is_authorized_by_the_same_policies_through_alibabas_api(server, trent):
    """The same users, access keys, key policies and identity policies decide on both APIs."""
    trent("admin", "user", "create", "ali-user")
    key = trent("admin", "access-key", "create", "ali-user")
    key_id = TeaClient(server.alibaba_host).call("CreateKey")["KeyMetadata"]["KeyId"]
    for make in CLIENTS.values():
        user = make(server.alibaba_host, access_key=key["AccessKeyId"], secret=key["SecretAccessKey"])
        status, code = refusal(user.call, "Encrypt", KeyId=key_id, Plaintext=base64.b64encode(b"x").decode())
        assert (status, code) == (403, "Forbidden.NoPermission"), "no identity policy allows it yet"
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*"}]}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
        json.dump(policy, file)
    trent("admin", "user", "put-policy", "ali-user", "--policy-name", "use", "--policy-file", file.name)
    for make in CLIENTS.values():
        user = make(server.alibaba_host, access_key=key["AccessKeyId"], secret=key["SecretAccessKey"])
        blob = user.call("Encrypt", KeyId=key_id, Plaintext=base64.b64encode(b"x").decode())["CiphertextBlob"]
        assert base64.b64decode(user.call("Decrypt", CiphertextBlob=blob)["Plaintext"]) == b"x"
        assert refusal(user.call, "ScheduleKeyDeletion", KeyId=key_id, PendingWindowInDays="7") == \
            (403, "Forbidden.NoPermission")
