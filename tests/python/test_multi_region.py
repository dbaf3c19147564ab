"""Multi-Region keys through boto3 and the aws CLI across three regions: a primary, replicas with the same ID and
material, ciphertexts that decrypt in any region of the set, the set as DescribeKey shows it from each, AWS's refusals,
and a deleted replica recreated while the primary exists."""

import time

import pytest
from botocore.exceptions import ClientError

from conftest import make_client, wait_until_gone

REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")


def code(error):
    return error.value.response["Error"]["Code"], error.value.response["Error"]["Message"]


@pytest.fixture
def clients(server):
    return {region: make_client(server, region=region) for region in REGIONS}


def test_a_primary_and_its_replicas_share_id_and_material_across_regions(clients, aws):
    home, europe, sydney = (clients[r] for r in REGIONS)
    created = home.create_key(MultiRegion=True, Description="primary")["KeyMetadata"]
    key_id = created["KeyId"]
    assert key_id.startswith("mrk-") and len(key_id) == 36
    assert created["MultiRegion"] is True
    assert created["MultiRegionConfiguration"] == {
        "MultiRegionKeyType": "PRIMARY", "PrimaryKey": {"Arn": created["Arn"], "Region": "us-east-1"},
        "ReplicaKeys": []}
    assert home.create_key()["KeyMetadata"]["MultiRegion"] is False

    replica = home.replicate_key(
        KeyId=key_id, ReplicaRegion="eu-west-1", Description="in Europe", Tags=[{"TagKey": "k", "TagValue": "v"}])
    metadata = replica["ReplicaKeyMetadata"]
    assert (metadata["KeyId"], metadata["Arn"]) == (key_id, created["Arn"].replace("us-east-1", "eu-west-1"))
    assert metadata["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA"
    assert replica["ReplicaTags"] == [{"TagKey": "k", "TagValue": "v"}] and "Statement" in replica["ReplicaPolicy"]
    status, answer, stderr = aws("replicate-key", "--key-id", key_id, "--replica-region", "ap-southeast-2")
    assert status == 0, stderr
    assert answer["ReplicaKeyMetadata"]["KeyId"] == key_id

    for client in (home, europe, sydney):
        configuration = client.describe_key(KeyId=key_id)["KeyMetadata"]["MultiRegionConfiguration"]
        assert configuration["PrimaryKey"]["Region"] == "us-east-1"
        assert sorted(r["Region"] for r in configuration["ReplicaKeys"]) == ["ap-southeast-2", "eu-west-1"]
    assert europe.describe_key(KeyId=key_id)["KeyMetadata"]["Description"] == "in Europe"

    blob = home.encrypt(KeyId=key_id, Plaintext=b"everywhere", EncryptionContext={"c": "1"})["CiphertextBlob"]
    for client in (europe, sydney):
        assert client.decrypt(CiphertextBlob=blob, EncryptionContext={"c": "1"})["Plaintext"] == b"everywhere"
        with pytest.raises(ClientError) as refused:
            client.decrypt(CiphertextBlob=blob, EncryptionContext={"c": "2"})
        assert code(refused)[0] == "InvalidCiphertextException", "the encryption context still binds"
    back = sydney.encrypt(KeyId=key_id, Plaintext=b"back")["CiphertextBlob"]
    assert home.decrypt(CiphertextBlob=back)["Plaintext"] == b"back"
    europe.disable_key(KeyId=key_id)
    assert home.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled", "each key its own state"


def test_replication_is_refused_as_aws_refuses_it(clients):
    home, europe = clients["us-east-1"], clients["eu-west-1"]
    key = home.create_key(MultiRegion=True)["KeyMetadata"]
    home.replicate_key(KeyId=key["KeyId"], ReplicaRegion="eu-west-1")
    with pytest.raises(ClientError) as refused:
        home.replicate_key(KeyId=key["KeyId"], ReplicaRegion="eu-west-1")
    assert code(refused) == ("AlreadyExistsException",
                             "You can create only one replica of each primary key in each AWS Region.")
    with pytest.raises(ClientError) as refused:
        europe.replicate_key(KeyId=key["KeyId"], ReplicaRegion="ap-southeast-2")
    replica_arn = key["Arn"].replace("us-east-1", "eu-west-1")
    assert code(refused) == ("UnsupportedOperationException", f"{replica_arn} is not a multi-region primary key.")
    with pytest.raises(ClientError) as refused:
        home.replicate_key(KeyId=key["KeyId"], ReplicaRegion="us-east-1")
    assert code(refused)[0] == "ValidationException"
    with pytest.raises(ClientError) as refused:
        home.replicate_key(KeyId=key["KeyId"], ReplicaRegion="cn-north-1")
    assert code(refused)[0] == "ValidationException", "a set lives in one partition"
    single = home.create_key()["KeyMetadata"]
    with pytest.raises(ClientError) as refused:
        home.replicate_key(KeyId=single["KeyId"], ReplicaRegion="eu-west-1")
    assert code(refused)[0] == "UnsupportedOperationException"
    home.disable_key(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as refused:
        home.replicate_key(KeyId=key["KeyId"], ReplicaRegion="ap-southeast-2")
    assert code(refused)[0] == "DisabledException"


def test_a_deleted_replica_is_recreated_while_the_primary_exists(clients, server):
    home, europe = clients["us-east-1"], clients["eu-west-1"]
    key_id = home.create_key(MultiRegion=True)["KeyMetadata"]["KeyId"]
    home.replicate_key(KeyId=key_id, ReplicaRegion="eu-west-1")
    blob = home.encrypt(KeyId=key_id, Plaintext=b"old")["CiphertextBlob"]
    with pytest.raises(ClientError) as refused:
        home.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert code(refused)[0] == "UnsupportedOperationException", "PendingReplicaDeletion is not built yet"
    assert europe.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)["KeyState"] == "PendingDeletion"
    server.advance_clock(7 * 86400 + 1)
    wait_until_gone(europe, key_id)
    assert home.describe_key(KeyId=key_id)["KeyMetadata"]["MultiRegionConfiguration"]["ReplicaKeys"] == []
    deadline = time.time() + 5
    while True:  # the deletion worker removes the old replica within moments of its date
        try:
            home.replicate_key(KeyId=key_id, ReplicaRegion="eu-west-1")
            break
        except ClientError as exists:
            assert exists.response["Error"]["Code"] == "AlreadyExistsException"
            assert time.time() < deadline, "the old replica was still there 5 seconds after its date"
            time.sleep(0.05)
    assert europe.decrypt(CiphertextBlob=blob)["Plaintext"] == b"old"
