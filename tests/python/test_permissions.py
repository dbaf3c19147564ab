"""Who may delete a key, through boto3 with several users: users and their access keys made with `trent admin` (the
account administrator's credentials), key policies and identity policies deciding as AWS documents for KMS."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT, OTHER_ACCESS_KEY, OTHER_ACCOUNT, OTHER_SECRET, REGION, make_client, user_arn


def key_policy(*statements):
    """A key policy that keeps the account's root user in charge, with `statements` added."""
    root = {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"}
    return json.dumps({"Version": "2012-10-17", "Statement": [root, *statements]})


def allow(name, *actions, condition=None):
    statement = {"Effect": "Allow", "Principal": {"AWS": user_arn(name)}, "Action": list(actions), "Resource": "*"}
    if condition:
        statement["Condition"] = condition
    return statement


def refusal(call):
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["Error"]


def test_a_user_the_key_policy_does_not_let_delete_cannot_schedule_and_nothing_changes(kms, trent):
    alice = trent.user("alice")
    key_id = kms.create_key(Policy=key_policy(allow("alice", "kms:Encrypt", "kms:DescribeKey")))["KeyMetadata"]["KeyId"]
    alice.encrypt(KeyId=key_id, Plaintext=b"still in use")

    error = refusal(lambda: alice.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7))
    assert error["Code"] == "AccessDeniedException"
    # The key policy names alice for other actions only, and delegates the rest to the account's identity policies,
    # of which alice has none.
    assert error["Message"] == (
        f"User: {user_arn('alice')} is not authorized to perform: kms:ScheduleKeyDeletion on resource: "
        f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id} because no identity-based policy allows the "
        "kms:ScheduleKeyDeletion action")
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"

    # The console's "Allow key administrators to delete this key": one statement in the key policy.
    deletion = allow("alice", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion")
    kms.put_key_policy(KeyId=key_id, PolicyName="default",
                       Policy=key_policy(allow("alice", "kms:Encrypt", "kms:DescribeKey"), deletion))
    scheduled = alice.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert scheduled["KeyState"] == "PendingDeletion"
    alice.cancel_key_deletion(KeyId=key_id)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Disabled"


def test_a_deny_of_short_waiting_periods_forces_the_longest(kms, trent):
    bob = trent.user("bob")
    short = {"Effect": "Deny", "Principal": "*", "Action": "kms:ScheduleKeyDeletion", "Resource": "*",
             "Condition": {"NumericLessThan": {"kms:ScheduleKeyDeletionPendingWindowInDays": "30"}}}
    policy = key_policy(allow("bob", "kms:ScheduleKeyDeletion", "kms:DescribeKey"), short)
    key_id = kms.create_key(Policy=policy)["KeyMetadata"]["KeyId"]

    for days in (7, 29):
        error = refusal(lambda: bob.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=days))
        assert error["Code"] == "AccessDeniedException"
        assert error["Message"].endswith("with an explicit deny in a resource-based policy")
    # The Deny stops the root user too, as in AWS.
    assert refusal(lambda: kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7))["Code"] == \
        "AccessDeniedException"
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
    assert bob.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=30)["PendingWindowInDays"] == 30


def test_the_default_key_policy_delegates_to_the_users_identity_policies(kms, trent, tmp_path):
    carol = trent.user("carol")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]

    error = refusal(lambda: carol.encrypt(KeyId=key_id, Plaintext=b"x"))
    assert error["Code"] == "AccessDeniedException"
    assert error["Message"].endswith("because no identity-based policy allows the kms:Encrypt action")
    assert refusal(lambda: carol.list_keys())["Code"] == "AccessDeniedException"

    path = tmp_path / "carol.json"
    path.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt", "kms:List*"], "Resource": "*"},
        {"Effect": "Deny", "Action": "kms:ScheduleKeyDeletion", "Resource": "*"}]}))
    trent("admin", "user", "put-policy", "carol", "--policy-name", "use-keys", "--policy-file", str(path))
    blob = carol.encrypt(KeyId=key_id, Plaintext=b"x")["CiphertextBlob"]
    assert carol.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"
    assert key_id in [k["KeyId"] for k in carol.list_keys()["Keys"]]
    error = refusal(lambda: carol.schedule_key_deletion(KeyId=key_id))
    assert error["Message"].endswith("with an explicit deny in an identity-based policy")
    assert trent("admin", "user", "list-policies", "carol") == {"PolicyNames": ["use-keys"]}

    trent("admin", "user", "delete-policy", "carol", "--policy-name", "use-keys")
    assert refusal(lambda: carol.decrypt(CiphertextBlob=blob))["Code"] == "AccessDeniedException"


def test_a_deleted_access_key_or_user_is_refused_at_once(kms, trent, server):
    trent("admin", "user", "create", "dave")
    first = trent("admin", "access-key", "create", "dave")
    second = trent("admin", "access-key", "create", "dave")
    listed = trent("admin", "access-key", "list", "dave")["AccessKeyMetadata"]
    assert sorted(k["AccessKeyId"] for k in listed) == sorted([first["AccessKeyId"], second["AccessKeyId"]])
    assert all("SecretAccessKey" not in k and k["Status"] == "Active" for k in listed)

    by_first = make_client(server, first["AccessKeyId"], first["SecretAccessKey"])
    by_second = make_client(server, second["AccessKeyId"], second["SecretAccessKey"])
    assert refusal(lambda: by_first.list_keys())["Code"] == "AccessDeniedException"
    trent("admin", "access-key", "delete", "dave", first["AccessKeyId"])
    assert refusal(lambda: by_first.list_keys())["Code"] == "UnrecognizedClientException"
    assert refusal(lambda: by_second.list_keys())["Code"] == "AccessDeniedException"
    trent("admin", "user", "delete", "dave")
    assert refusal(lambda: by_second.list_keys())["Code"] == "UnrecognizedClientException"
    assert trent("admin", "user", "list") == {"Users": []}


def test_identity_requests_are_refused_with_iam_s_errors(kms, trent, server):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    import urllib.error
    import urllib.request

    def call(target, body, credentials=("test", "test")):
        request = AWSRequest(method="POST", url=server.endpoint + "/", data=json.dumps(body).encode(),
                             headers={"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"})
        SigV4Auth(Credentials(*credentials), "kms", REGION).add_auth(request)
        prepared = urllib.request.Request(request.url, data=request.body, headers=dict(request.headers), method="POST")
        try:
            with urllib.request.urlopen(prepared, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    assert call("Trent.CreateUser", {"UserName": "erin"})[0] == 200
    status, body = call("Trent.CreateUser", {"UserName": "ERIN"})
    assert (status, body["__type"]) == (400, "AlreadyExistsException")
    status, body = call("Trent.CreateUser", {"UserName": "no spaces"})
    assert (status, body["__type"]) == (400, "ValidationException")
    status, body = call("Trent.DeleteUser", {"UserName": "nobody"})
    assert (status, body["__type"], body["message"]) == (
        400, "NotFoundException", "The user with name nobody cannot be found.")
    status, body = call("Trent.PutUserPolicy", {"UserName": "erin", "PolicyName": "p", "PolicyDocument": json.dumps(
        {"Statement": {"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}})})
    assert (status, body["__type"]) == (400, "MalformedPolicyDocumentException")
    status, body = call("Trent.PutUserPolicy", {"UserName": "erin", "PolicyName": "p", "PolicyDocument": "{"})
    assert (status, body["__type"]) == (400, "MalformedPolicyDocumentException")
    assert call("Trent.CreateAccessKey", {"UserName": "erin"})[0] == 200
    assert call("Trent.CreateAccessKey", {"UserName": "erin"})[0] == 200
    status, body = call("Trent.CreateAccessKey", {"UserName": "erin"})
    assert (status, body["__type"], body["message"]) == (
        400, "LimitExceededException", "Cannot exceed quota for AccessKeysPerUser: 2")
    assert call("Trent.ListUsers", {})[1]["Users"][0]["Arn"] == user_arn("erin")


def test_allow_deletion_adds_and_removes_a_principal_from_the_key_policy_s_deletion_statement(kms, trent):
    frank = trent.user("frank")
    key_id = kms.create_key(Policy=key_policy(allow("frank", "kms:DescribeKey")))["KeyMetadata"]["KeyId"]
    assert refusal(lambda: frank.schedule_key_deletion(KeyId=key_id))["Code"] == "AccessDeniedException"

    allowed = trent("key", "allow-deletion", key_id, "--principal", user_arn("frank"))
    assert allowed == {"KeyId": key_id, "Principal": user_arn("frank"), "DeletionAllowed": True}
    policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    deletion = [s for s in policy["Statement"] if s.get("Sid") == "Allow key administrators to delete this key"]
    assert deletion[0]["Principal"]["AWS"] == [user_arn("frank")]
    assert frank.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=30)["KeyState"] == "PendingDeletion"

    trent("key", "allow-deletion", key_id, "--principal", user_arn("frank"), "--revoke")
    assert refusal(lambda: frank.cancel_key_deletion(KeyId=key_id))["Code"] == "AccessDeniedException"
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingDeletion"


def test_encryption_context_conditions_hold_for_every_operation_that_takes_one(kms, trent):
    gina = trent.user("gina")
    finance_only = allow("gina", "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:ReEncrypt*",
                         condition={"StringEquals": {"kms:EncryptionContext:Department": "Finance"},
                                    "ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["Department", "Year"]}})
    key_id = kms.create_key(Policy=key_policy(finance_only))["KeyMetadata"]["KeyId"]

    finance = {"Department": "Finance", "Year": "2026"}
    blob = gina.encrypt(KeyId=key_id, Plaintext=b"ledger", EncryptionContext=finance)["CiphertextBlob"]
    assert gina.decrypt(CiphertextBlob=blob, EncryptionContext=finance)["Plaintext"] == b"ledger"
    assert gina.generate_data_key(KeyId=key_id, KeySpec="AES_256",
                                  EncryptionContext={"Department": "Finance"})["KeyId"].endswith(key_id)
    gina.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext=finance, DestinationKeyId=key_id,
                    DestinationEncryptionContext={"Department": "Finance"})

    # kms:EncryptionContextKeys compares the keys as written: "department" is not listed.
    for context in ({"Department": "HR"}, {}, {"Department": "Finance", "Project": "x"}, {"department": "Finance"}):
        error = refusal(lambda: gina.encrypt(KeyId=key_id, Plaintext=b"x", EncryptionContext=context))
        assert error["Code"] == "AccessDeniedException", context
    error = refusal(lambda: gina.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext=finance,
                                            DestinationKeyId=key_id, DestinationEncryptionContext={"Department": "HR"}))
    assert error["Code"] == "AccessDeniedException"
    # The root user's statement has no condition: it is not bound by gina's.
    assert kms.encrypt(KeyId=key_id, Plaintext=b"x", EncryptionContext={"Department": "HR"})["KeyId"].endswith(key_id)


def test_who_can_lists_the_key_policy_the_identity_policies_it_delegates_to_and_the_grants(kms, trent, tmp_path):
    trent.user("alice")
    trent.user("bob", policy={"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:ListKeys"], "Resource": "*"}]})
    no_short_windows = {"Sid": "No short windows", "Effect": "Deny", "Principal": "*",
                        "Action": "kms:ScheduleKeyDeletion", "Resource": "*",
                        "Condition": {"NumericLessThan": {"kms:ScheduleKeyDeletionPendingWindowInDays": "30"}}}
    policy = key_policy(allow("alice", "kms:Encrypt"), no_short_windows)
    key_id = kms.create_key(Policy=policy)["KeyMetadata"]["KeyId"]
    grant = kms.create_grant(KeyId=key_id, GranteePrincipal=user_arn("carol"), Operations=["Decrypt"],
                             Constraints={"EncryptionContextSubset": {"app": "billing"}})

    entries = trent("key", "who-can", key_id)
    by = {(e["Principal"], e["Effect"], e["Source"]): e for e in entries}
    root = by[(f"arn:aws:iam::{ACCOUNT}:root", "Allow", "key policy (Enable IAM User Permissions)")]
    assert "kms:ScheduleKeyDeletion" in root["Actions"] and root["Conditions"] == []
    assert by[(user_arn("alice"), "Allow", "key policy")]["Actions"] == ["kms:Encrypt"]
    assert by[(user_arn("bob"), "Allow", "identity policy bob/kms-use")]["Actions"] == ["kms:Decrypt"], \
        "only what the key policy delegates and the identity policy gives, on the key"
    deny = by[("*", "Deny", "key policy (No short windows)")]
    assert deny["Actions"] == ["kms:ScheduleKeyDeletion"]
    assert deny["Conditions"] == [{"NumericLessThan": {"kms:ScheduleKeyDeletionPendingWindowInDays": "30"}}]
    carol = by[(user_arn("carol"), "Allow", f"grant {grant['GrantId']}")]
    assert carol["Actions"] == ["kms:Decrypt"]
    assert carol["Conditions"] == [{"EncryptionContextSubset": {"app": "billing"}}]
    assert len(entries) == 5, entries


def test_another_account_uses_a_key_its_policy_shares_by_arn_but_never_deletes_it(kms, server):
    other = make_client(server, OTHER_ACCESS_KEY, OTHER_SECRET)
    share = {"Sid": "Share with the other account", "Effect": "Allow",
             "Principal": {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"},
             "Action": ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:ScheduleKeyDeletion"], "Resource": "*"}
    shared = kms.create_key(Policy=key_policy(share))["KeyMetadata"]["Arn"]

    blob = other.encrypt(KeyId=shared, Plaintext=b"across")["CiphertextBlob"]
    assert other.decrypt(CiphertextBlob=blob, KeyId=shared)["Plaintext"] == b"across"
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"across", "the owner decrypts it too"
    assert other.describe_key(KeyId=shared)["KeyMetadata"]["Arn"] == shared
    # Deletion never crosses accounts, whatever the policy says ("Cross-account use: No").
    assert refusal(lambda: other.schedule_key_deletion(KeyId=shared))["Code"] == "NotFoundException"
    assert refusal(lambda: other.disable_key(KeyId=shared))["Code"] == "NotFoundException"
    # Only by ARN: a bare key ID names the caller's own account.
    assert refusal(lambda: other.encrypt(KeyId=shared.split("/")[-1], Plaintext=b"x"))["Code"] == "NotFoundException"

    private = kms.create_key()["KeyMetadata"]["Arn"]
    error = refusal(lambda: other.encrypt(KeyId=private, Plaintext=b"x"))
    assert error["Code"] == "AccessDeniedException"
    assert error["Message"].endswith("because no resource-based policy allows the kms:Encrypt action")


def test_tag_conditions_hold_when_tags_are_set_at_creation_or_removed(kms, trent):
    keeper = trent.user("keeper", policy={"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["kms:CreateKey", "kms:DescribeKey", "kms:UntagResource"], "Resource": "*"},
        {"Effect": "Deny", "Action": "kms:TagResource", "Resource": "*",
         "Condition": {"StringEquals": {"aws:RequestTag/owner": "finance"}}}]})
    # CreateKey with tags asks for kms:TagResource too, with the tags as aws:RequestTag.
    error = refusal(lambda: keeper.create_key(Tags=[{"TagKey": "owner", "TagValue": "finance"}]))
    assert error["Code"] == "AccessDeniedException" and "kms:TagResource" in error["Message"]
    keeper.create_key(Description="untagged is fine")

    protect = {"Sid": "Keep the owner tag", "Effect": "Deny", "Principal": "*", "Action": "kms:UntagResource",
               "Resource": "*", "Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": ["owner"]}}}
    key_id = kms.create_key(Policy=key_policy(protect), Tags=[{"TagKey": "owner", "TagValue": "ops"},
                                                             {"TagKey": "note", "TagValue": "x"}])["KeyMetadata"]["KeyId"]
    assert refusal(lambda: keeper.untag_resource(KeyId=key_id, TagKeys=["owner"]))["Code"] == "AccessDeniedException"
    assert refusal(lambda: kms.untag_resource(KeyId=key_id, TagKeys=["note", "owner"]))["Code"] == \
        "AccessDeniedException"
    kms.untag_resource(KeyId=key_id, TagKeys=["note"])
    assert kms.list_resource_tags(KeyId=key_id)["Tags"] == [{"TagKey": "owner", "TagValue": "ops"}]


def test_another_account_manages_grants_and_reads_rotation_of_a_key_shared_with_it(kms, server):
    other = make_client(server, OTHER_ACCESS_KEY, OTHER_SECRET)
    share = {"Effect": "Allow", "Principal": {"AWS": OTHER_ACCOUNT},
             "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant", "kms:GetKeyRotationStatus",
                        "kms:ListKeyRotations"], "Resource": "*"}
    shared = kms.create_key(Policy=key_policy(share))["KeyMetadata"]["Arn"]
    assert other.get_key_rotation_status(KeyId=shared)["KeyRotationEnabled"] is False
    # ListKeyRotations is not a cross-account operation, whatever the policy says.
    assert refusal(lambda: other.list_key_rotations(KeyId=shared))["Code"] == "NotFoundException"

    grant = other.create_grant(KeyId=shared, GranteePrincipal=f"arn:aws:iam::{OTHER_ACCOUNT}:root",
                               Operations=["Encrypt"])
    [entry] = other.list_grants(KeyId=shared)["Grants"]
    assert entry["IssuingAccount"] == f"arn:aws:iam::{OTHER_ACCOUNT}:root"
    # The grant lets the other account encrypt, which its key policy statement alone does not.
    assert other.encrypt(KeyId=shared, Plaintext=b"x")["KeyId"] == shared
    other.revoke_grant(KeyId=shared, GrantId=grant["GrantId"])
    assert refusal(lambda: other.encrypt(KeyId=shared, Plaintext=b"x"))["Code"] == "AccessDeniedException"
