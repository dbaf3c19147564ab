"""Grants through boto3, with users made by `trent admin`: a grant lets another user use a key the policies do not
let it use, at once and until it is retired or revoked; its constraints hold; every refusal is AWS's error."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT, REGION, user_arn, wait_until_gone


def refusal(call):
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["Error"]


def test_a_grant_lets_a_user_encrypt_and_decrypt_at_once_until_it_is_retired(kms, trent):
    alice = trent.user("alice")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    assert refusal(lambda: alice.encrypt(KeyId=key_id, Plaintext=b"x"))["Code"] == "AccessDeniedException"

    created = kms.create_grant(KeyId=key_id, GranteePrincipal=user_arn("alice"), Name="app-reads",
                               Operations=["Encrypt", "Decrypt", "RetireGrant"])
    assert len(created["GrantId"]) == 64
    token = created["GrantToken"]
    blob = alice.encrypt(KeyId=key_id, Plaintext=b"secret", GrantTokens=[token])["CiphertextBlob"]
    assert alice.decrypt(CiphertextBlob=blob)["Plaintext"] == b"secret"
    # Only the operations granted.
    assert refusal(lambda: alice.generate_data_key(KeyId=key_id, KeySpec="AES_256"))["Code"] == "AccessDeniedException"
    assert refusal(lambda: alice.schedule_key_deletion(KeyId=key_id))["Code"] == "AccessDeniedException"

    again = kms.create_grant(KeyId=key_id, GranteePrincipal=user_arn("alice"), Name="app-reads",
                             Operations=["Decrypt", "Encrypt", "RetireGrant"])
    assert again["GrantId"] == created["GrantId"], "the same named grant is not made twice"
    assert again["GrantToken"] != token

    [entry] = kms.list_grants(KeyId=key_id)["Grants"]
    assert entry["KeyId"] == f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}"
    assert entry["GrantId"] == created["GrantId"] and entry["Name"] == "app-reads"
    assert entry["GranteePrincipal"] == user_arn("alice")
    assert entry["IssuingAccount"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert sorted(entry["Operations"]) == ["Decrypt", "Encrypt", "RetireGrant"]
    assert "RetiringPrincipal" not in entry and "Constraints" not in entry

    alice.retire_grant(GrantToken=again["GrantToken"])
    assert refusal(lambda: alice.decrypt(CiphertextBlob=blob))["Code"] == "AccessDeniedException"
    assert kms.list_grants(KeyId=key_id)["Grants"] == []


def test_a_revoked_grant_stops_at_once_and_only_the_grant_s_principals_may_retire_it(kms, trent):
    bob = trent.user("bob")
    carol = trent.user("carol")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    grant = kms.create_grant(KeyId=key_id, GranteePrincipal=user_arn("bob"), Operations=["Encrypt", "DescribeKey"],
                             RetiringPrincipal=user_arn("carol"))
    assert bob.describe_key(KeyId=key_id)["KeyMetadata"]["KeyId"] == key_id
    bob.encrypt(KeyId=key_id, Plaintext=b"x")

    # Bob's grant does not give RetireGrant; carol is its retiring principal.
    error = refusal(lambda: bob.retire_grant(KeyId=key_id, GrantId=grant["GrantId"]))
    assert error["Code"] == "AccessDeniedException"
    retirable = kms.list_retirable_grants(RetiringPrincipal=user_arn("carol"))
    assert [g["GrantId"] for g in retirable["Grants"]] == [grant["GrantId"]]
    # ListRetirableGrants is an identity permission carol's policies do not give.
    error = refusal(lambda: carol.list_retirable_grants(RetiringPrincipal=user_arn("carol")))
    assert error["Code"] == "AccessDeniedException"
    carol.retire_grant(KeyId=key_id, GrantId=grant["GrantId"])
    assert refusal(lambda: bob.encrypt(KeyId=key_id, Plaintext=b"x"))["Code"] == "AccessDeniedException"

    second = kms.create_grant(KeyId=key_id, GranteePrincipal=user_arn("bob"), Operations=["Encrypt"])
    bob.encrypt(KeyId=key_id, Plaintext=b"x")
    kms.revoke_grant(KeyId=key_id, GrantId=second["GrantId"])
    assert refusal(lambda: bob.encrypt(KeyId=key_id, Plaintext=b"x"))["Code"] == "AccessDeniedException"
    error = refusal(lambda: kms.revoke_grant(KeyId=key_id, GrantId=second["GrantId"]))
    assert error["Code"] == "NotFoundException"


def test_encryption_context_constraints_hold(kms, trent):
    dave = trent.user("dave")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_grant(KeyId=key_id, GranteePrincipal=user_arn("dave"), Operations=["Encrypt", "Decrypt"],
                     Constraints={"EncryptionContextSubset": {"tenant": "a"}})
    blob = dave.encrypt(KeyId=key_id, Plaintext=b"x", EncryptionContext={"tenant": "a", "doc": "1"})["CiphertextBlob"]
    assert dave.decrypt(CiphertextBlob=blob, EncryptionContext={"tenant": "a", "doc": "1"})["Plaintext"] == b"x"
    for context in ({"tenant": "b"}, {}):
        error = refusal(lambda: dave.encrypt(KeyId=key_id, Plaintext=b"x", EncryptionContext=context))
        assert error["Code"] == "AccessDeniedException", context

    equals = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_grant(KeyId=equals, GranteePrincipal=user_arn("dave"), Operations=["Encrypt"],
                     Constraints={"EncryptionContextEquals": {"tenant": "a"}})
    dave.encrypt(KeyId=equals, Plaintext=b"x", EncryptionContext={"tenant": "a"})
    error = refusal(lambda: dave.encrypt(KeyId=equals, Plaintext=b"x", EncryptionContext={"tenant": "a", "x": "y"}))
    assert error["Code"] == "AccessDeniedException"
    [entry] = kms.list_grants(KeyId=equals)["Grants"]
    assert entry["Constraints"] == {"EncryptionContextEquals": {"tenant": "a"}}


def test_an_explicit_deny_in_the_key_policy_beats_a_grant(kms, trent):
    erin = trent.user("erin")
    root = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*",
            "Resource": "*"}
    deny = {"Effect": "Deny", "Principal": {"AWS": user_arn("erin")}, "Action": "kms:Decrypt", "Resource": "*"}
    key_id = kms.create_key(Policy=json.dumps({"Statement": [root, deny]}))["KeyMetadata"]["KeyId"]
    kms.create_grant(KeyId=key_id, GranteePrincipal=user_arn("erin"), Operations=["Encrypt", "Decrypt"])
    blob = erin.encrypt(KeyId=key_id, Plaintext=b"x")["CiphertextBlob"]
    error = refusal(lambda: erin.decrypt(CiphertextBlob=blob))
    assert error["Code"] == "AccessDeniedException"
    assert error["Message"].endswith("with an explicit deny in a resource-based policy")


def test_a_grantee_may_pass_on_no_more_than_its_grant(kms, trent):
    frank = trent.user("frank")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_grant(KeyId=key_id, GranteePrincipal=user_arn("frank"), Operations=["Encrypt", "CreateGrant"])
    frank.create_grant(KeyId=key_id, GranteePrincipal=user_arn("grace"), Operations=["Encrypt"])
    error = refusal(lambda: frank.create_grant(KeyId=key_id, GranteePrincipal=user_arn("grace"),
                                               Operations=["Decrypt"]))
    assert error["Code"] == "AccessDeniedException"


def test_grant_refusals_are_aws_s_errors(kms, trent):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    alice = user_arn("alice")

    error = refusal(lambda: kms.create_grant(KeyId=key_id, GranteePrincipal="nobody", Operations=["Encrypt"]))
    assert (error["Code"], error["Message"]) == ("InvalidArnException",
                                                 "ARN does not refer to a valid principal: nobody")
    error = refusal(lambda: kms.create_grant(KeyId=key_id, GranteePrincipal=alice, Operations=["CreateGrant"]))
    assert (error["Code"], error["Message"]) == ("ValidationException",
                                                 "Grants must not contain only the CreateGrant operation.")
    error = refusal(lambda: kms.create_grant(KeyId=key_id, GranteePrincipal=alice, Operations=["Sign"]))
    assert error["Code"] == "ValidationException"
    error = refusal(lambda: kms.create_grant(KeyId=key_id, GranteePrincipal=alice, Operations=["Brew"]))
    assert error["Code"] == "ValidationException" and "enum value set" in error["Message"]
    error = refusal(lambda: kms.create_grant(KeyId="alias/nope", GranteePrincipal=alice, Operations=["Encrypt"]))
    assert (error["Code"], error["Message"]) == ("InvalidArnException",
                                                 "Key Aliases are not supported for this operation.")
    error = refusal(lambda: kms.retire_grant(GrantToken="not-a-token"))
    assert error["Code"] == "InvalidGrantTokenException"
    error = refusal(lambda: kms.retire_grant(KeyId=key_id, GrantId="0" * 64))
    assert error["Code"] == "NotFoundException"
    error = refusal(lambda: kms.create_grant(KeyId=key_id, GranteePrincipal=alice, Operations=["Encrypt"],
                                             DryRun=True))
    assert error["Code"] == "DryRunOperationException"
    assert kms.list_grants(KeyId=key_id)["Grants"] == [], "a dry run makes nothing"

    kms.disable_key(KeyId=key_id)
    error = refusal(lambda: kms.create_grant(KeyId=key_id, GranteePrincipal=alice, Operations=["Encrypt"]))
    assert (error["Code"], error["Message"]) == (
        "DisabledException", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id} is disabled.")


def test_a_key_s_grants_are_destroyed_with_it(kms, server, trent):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_grant(KeyId=key_id, GranteePrincipal=user_arn("harry"), Operations=["Encrypt"])
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    # Still listed (and revocable) while the deletion is pending, as AWS's table allows.
    assert len(kms.list_grants(KeyId=key_id)["Grants"]) == 1
    server.advance_clock(8 * 86_400)
    wait_until_gone(kms, key_id)
    assert refusal(lambda: kms.list_grants(KeyId=key_id))["Code"] == "NotFoundException"


def test_the_grant_condition_keys_bound_who_may_grant_what(kms, trent):
    grantor = trent.user("grantor")
    root = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*",
            "Resource": "*"}
    # AWS's documented pattern: a principal that may hand out Encrypt and GenerateDataKey grants, nothing more.
    encrypt_only = {"Effect": "Allow", "Principal": {"AWS": user_arn("grantor")}, "Action": "kms:CreateGrant",
                    "Resource": "*", "Condition": {
                        "ForAllValues:StringEquals": {"kms:GrantOperations": ["Encrypt", "GenerateDataKey"]},
                        "Bool": {"kms:GrantIsForAWSResource": "false"}}}
    key_id = kms.create_key(Policy=json.dumps({"Statement": [root, encrypt_only]}))["KeyMetadata"]["KeyId"]
    grantor.create_grant(KeyId=key_id, GranteePrincipal=user_arn("app"), Operations=["Encrypt", "GenerateDataKey"])
    for operations in (["Decrypt"], ["Encrypt", "Decrypt"], ["Encrypt", "CreateGrant"]):
        error = refusal(lambda: grantor.create_grant(KeyId=key_id, GranteePrincipal=user_arn("grantor"),
                                                     Operations=operations))
        assert error["Code"] == "AccessDeniedException", operations


def test_constraints_are_refused_on_keys_whose_operations_take_no_context(kms):
    hmac = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    error = refusal(lambda: kms.create_grant(KeyId=hmac, GranteePrincipal=user_arn("app"), Operations=["GenerateMac"],
                                             Constraints={"EncryptionContextSubset": {"a": "b"}}))
    assert error["Code"] == "ValidationException"
    assert kms.list_grants(KeyId=hmac)["Grants"] == []
    symmetric = kms.create_key()["KeyMetadata"]["KeyId"]
    nine = {f"k{i}": "v" for i in range(9)}
    error = refusal(lambda: kms.create_grant(KeyId=symmetric, GranteePrincipal=user_arn("app"), Operations=["Encrypt"],
                                             Constraints={"EncryptionContextEquals": nine}))
    assert error["Code"] == "ValidationException"


def test_a_deleted_user_takes_its_grants_with_it(kms, trent):
    trent.user("ivy")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_grant(KeyId=key_id, GranteePrincipal=user_arn("ivy"), Operations=["Encrypt"])
    trent("admin", "user", "delete", "ivy")
    assert kms.list_grants(KeyId=key_id)["Grants"] == []
    again = trent.user("ivy")
    assert refusal(lambda: again.encrypt(KeyId=key_id, Plaintext=b"x"))["Code"] == "AccessDeniedException"
