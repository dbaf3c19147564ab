"""Multi-Region keys through boto3 and the aws CLI across three regions: a primary, replicas with the same ID and
material, ciphertexts that decrypt in any region of the set, the set as DescribeKey shows it from each, AWS's refusals,
a primary whose deletion waits for its replicas (PendingReplicaDeletion) and then for its own window, and a deleted
replica recreated while the primary exists."""

import datetime
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


def wait_for_state(client, key_id, state, seconds=5):
    """The key's metadata once it is in `state` (the deletion worker acts within moments of a date)."""
    deadline = time.time() + seconds
    while True:
        metadata = client.describe_key(KeyId=key_id)["KeyMetadata"]
        if metadata["KeyState"] == state:
            return metadata
        assert time.time() < deadline, f"still {metadata['KeyState']} after {seconds} s"
        time.sleep(0.05)


def test_a_primary_waits_for_its_replicas_to_be_deleted_then_for_its_own_window(clients, server, aws):
    home, europe, sydney = (clients[r] for r in REGIONS)
    key_id = home.create_key(MultiRegion=True)["KeyMetadata"]["KeyId"]
    for region in ("eu-west-1", "ap-southeast-2"):
        home.replicate_key(KeyId=key_id, ReplicaRegion=region)
    blob = europe.encrypt(KeyId=key_id, Plaintext=b"kept")["CiphertextBlob"]

    scheduled = home.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert scheduled["KeyState"] == "PendingReplicaDeletion" and scheduled["PendingWindowInDays"] == 7
    assert "DeletionDate" not in scheduled, "no date while replicas remain"
    metadata = home.describe_key(KeyId=key_id)["KeyMetadata"]
    assert (metadata["KeyState"], metadata["Enabled"], metadata["PendingDeletionWindowInDays"]) == (
        "PendingReplicaDeletion", False, 7)
    assert "DeletionDate" not in metadata
    arn = metadata["Arn"]
    for refused_call in (lambda: home.encrypt(KeyId=key_id, Plaintext=b"x"),
                         lambda: home.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7),
                         lambda: home.replicate_key(KeyId=key_id, ReplicaRegion="us-west-2"),
                         lambda: home.enable_key(KeyId=key_id)):
        with pytest.raises(ClientError) as refused:
            refused_call()
        assert code(refused) == ("KMSInvalidStateException", f"{arn} is pending replica deletion.")
    assert sydney.decrypt(CiphertextBlob=blob)["Plaintext"] == b"kept", "the replicas go on working"

    # Scheduling a replica is not deleting it: the primary waits until each one is gone.
    assert europe.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)["KeyState"] == "PendingDeletion"
    status, answer, stderr = aws("schedule-key-deletion", "--key-id", key_id, "--pending-window-in-days", "14",
                                 "--region", "ap-southeast-2")
    assert status == 0 and answer["KeyState"] == "PendingDeletion", stderr
    assert home.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingReplicaDeletion"
    server.advance_clock(7 * 86400 + 1)
    wait_until_gone(europe, key_id)
    assert home.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingReplicaDeletion", "one remains"

    server.advance_clock(7 * 86400)
    wait_until_gone(sydney, key_id)
    metadata = wait_for_state(home, key_id, "PendingDeletion")
    now = server.advance_clock(0)["now"]
    waited = metadata["DeletionDate"].timestamp() - now
    assert 7 * 86400 - 30 <= waited <= 7 * 86400, "the primary's window starts when its last replica is deleted"
    assert "PendingDeletionWindowInDays" not in metadata
    assert metadata["MultiRegionConfiguration"]["ReplicaKeys"] == []
    status, _, stderr = aws("get-key-policy", "--key-id", key_id, "--policy-name", "default")
    assert status == 0, stderr

    server.advance_clock(7 * 86400 + 1)
    wait_until_gone(home, key_id)


def test_cancelling_a_primary_pending_replica_deletion_leaves_it_disabled(clients):
    home, europe = clients["us-east-1"], clients["eu-west-1"]
    key_id = home.create_key(MultiRegion=True)["KeyMetadata"]["KeyId"]
    home.replicate_key(KeyId=key_id, ReplicaRegion="eu-west-1")
    assert home.schedule_key_deletion(KeyId=key_id)["KeyState"] == "PendingReplicaDeletion"
    assert home.describe_key(KeyId=key_id)["KeyMetadata"]["PendingDeletionWindowInDays"] == 30, "AWS's default"
    home.cancel_key_deletion(KeyId=key_id)
    metadata = home.describe_key(KeyId=key_id)["KeyMetadata"]
    assert metadata["KeyState"] == "Disabled" and "PendingDeletionWindowInDays" not in metadata
    home.enable_key(KeyId=key_id)
    blob = home.encrypt(KeyId=key_id, Plaintext=b"again")["CiphertextBlob"]
    assert europe.decrypt(CiphertextBlob=blob)["Plaintext"] == b"again"


def test_the_primary_region_moves_to_a_replica_and_each_key_keeps_its_own_properties(clients, aws):
    home, europe, sydney = (clients[r] for r in REGIONS)
    created = home.create_key(MultiRegion=True, Description="first primary")["KeyMetadata"]
    key_id = created["KeyId"]
    home.replicate_key(KeyId=key_id, ReplicaRegion="eu-west-1", Description="europe",
                       Tags=[{"TagKey": "where", "TagValue": "eu"}])
    home.replicate_key(KeyId=key_id, ReplicaRegion="ap-southeast-2")
    blob = home.encrypt(KeyId=key_id, Plaintext=b"before")["CiphertextBlob"]

    answer = home.update_primary_region(KeyId=key_id, PrimaryRegion="eu-west-1")
    assert set(answer) == {"ResponseMetadata"}, "the model has no output"
    for client in (home, europe, sydney):
        metadata = client.describe_key(KeyId=key_id)["KeyMetadata"]
        configuration = metadata["MultiRegionConfiguration"]
        assert configuration["PrimaryKey"]["Region"] == "eu-west-1"
        assert sorted(r["Region"] for r in configuration["ReplicaKeys"]) == ["ap-southeast-2", "us-east-1"]
        assert metadata["KeyState"] == "Enabled"
    assert home.describe_key(KeyId=key_id)["KeyMetadata"]["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA"
    assert europe.describe_key(KeyId=key_id)["KeyMetadata"]["Description"] == "europe", "independent properties stay"
    assert europe.list_resource_tags(KeyId=key_id)["Tags"] == [{"TagKey": "where", "TagValue": "eu"}]
    assert sydney.decrypt(CiphertextBlob=blob)["Plaintext"] == b"before", "the material is the set's"

    # The new primary replicates and is the one whose deletion waits for replicas; the old one is a replica now.
    with pytest.raises(ClientError) as refused:
        home.replicate_key(KeyId=key_id, ReplicaRegion="us-west-2")
    assert code(refused) == ("UnsupportedOperationException", f"{created['Arn']} is not a multi-region primary key.")
    with pytest.raises(ClientError) as refused:
        home.update_primary_region(KeyId=key_id, PrimaryRegion="ap-southeast-2")
    assert code(refused)[0] == "UnsupportedOperationException", "only the primary moves the primary Region"
    assert europe.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)["KeyState"] == "PendingReplicaDeletion"
    europe.cancel_key_deletion(KeyId=key_id)
    europe.enable_key(KeyId=key_id)

    status, _, stderr = aws("update-primary-region", "--key-id", key_id, "--primary-region", "us-east-1",
                            "--region", "eu-west-1")
    assert status == 0, stderr
    assert home.describe_key(KeyId=key_id)["KeyMetadata"]["MultiRegionConfiguration"]["MultiRegionKeyType"] == "PRIMARY"


def test_the_primary_region_moves_only_to_an_enabled_replica_that_exists(clients):
    home, europe = clients["us-east-1"], clients["eu-west-1"]
    key = home.create_key(MultiRegion=True)["KeyMetadata"]
    key_id = key["KeyId"]
    home.replicate_key(KeyId=key_id, ReplicaRegion="eu-west-1")
    with pytest.raises(ClientError) as refused:
        home.update_primary_region(KeyId=key_id, PrimaryRegion="ap-southeast-2")
    assert code(refused) == ("NotFoundException",
                             f"Key '{key['Arn'].replace('us-east-1', 'ap-southeast-2')}' does not exist")
    with pytest.raises(ClientError) as refused:
        home.update_primary_region(KeyId=key_id, PrimaryRegion="us-east-1")
    assert code(refused)[0] == "UnsupportedOperationException"
    with pytest.raises(ClientError) as refused:
        home.update_primary_region(KeyId=key_id, PrimaryRegion="Europe")
    assert code(refused) == ("ValidationException", "1 validation error detected: Value 'Europe' at 'primaryRegion' "
                             "failed to satisfy constraint: Member must satisfy regular expression pattern: "
                             "^([a-z]+-){2,3}\\d+$")
    europe.disable_key(KeyId=key_id)
    with pytest.raises(ClientError) as refused:
        home.update_primary_region(KeyId=key_id, PrimaryRegion="eu-west-1")
    assert code(refused) == ("DisabledException", f"{key['Arn'].replace('us-east-1', 'eu-west-1')} is disabled.")
    assert home.describe_key(KeyId=key_id)["KeyMetadata"]["MultiRegionConfiguration"]["MultiRegionKeyType"] == "PRIMARY"
    single = home.create_key()["KeyMetadata"]
    with pytest.raises(ClientError) as refused:
        home.update_primary_region(KeyId=single["KeyId"], PrimaryRegion="eu-west-1")
    assert code(refused) == ("UnsupportedOperationException", f"{single['Arn']} is not a multi-region primary key.")


def test_the_primary_rotates_for_the_whole_set_and_replicas_share_each_material(clients, server):
    home, europe, sydney = (clients[r] for r in REGIONS)
    created = home.create_key(MultiRegion=True)["KeyMetadata"]
    key_id = created["KeyId"]
    for region in ("eu-west-1", "ap-southeast-2"):
        home.replicate_key(KeyId=key_id, ReplicaRegion=region)
    old = sydney.encrypt(KeyId=key_id, Plaintext=b"old material")["CiphertextBlob"]
    replica_arn = created["Arn"].replace("us-east-1", "eu-west-1")
    for refused_call in (lambda: europe.rotate_key_on_demand(KeyId=key_id),
                         lambda: europe.enable_key_rotation(KeyId=key_id),
                         lambda: europe.disable_key_rotation(KeyId=key_id)):
        with pytest.raises(ClientError) as refused:
            refused_call()
        assert code(refused) == ("UnsupportedOperationException", f"{replica_arn} is a multi-Region replica key: "
                                 "rotate its primary key, whose materials every replica shares.")

    home.rotate_key_on_demand(KeyId=key_id)
    current = home.describe_key(KeyId=key_id)["KeyMetadata"]["CurrentKeyMaterialId"]
    for client in (europe, sydney):
        assert client.describe_key(KeyId=key_id)["KeyMetadata"]["CurrentKeyMaterialId"] == current
        assert len(client.list_key_rotations(KeyId=key_id)["Rotations"]) == 1
    new = europe.encrypt(KeyId=key_id, Plaintext=b"new material")["CiphertextBlob"]
    for client in (home, sydney):
        assert client.decrypt(CiphertextBlob=new)["Plaintext"] == b"new material"
        assert client.decrypt(CiphertextBlob=old)["Plaintext"] == b"old material"

    home.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
    status = sydney.get_key_rotation_status(KeyId=key_id)
    assert (status["KeyRotationEnabled"], status["RotationPeriodInDays"]) == (True, 90), "the primary's setting"
    server.advance_clock(91 * 86400)
    deadline = time.time() + 5
    while len(sydney.list_key_rotations(KeyId=key_id)["Rotations"]) < 2:  # the worker rotates within moments
        assert time.time() < deadline, "the automatic rotation did not reach the replica"
        time.sleep(0.05)
    rotations = [r["KeyMaterialId"] for r in home.list_key_rotations(KeyId=key_id)["Rotations"]]
    assert [r["KeyMaterialId"] for r in europe.list_key_rotations(KeyId=key_id)["Rotations"]] == rotations
    assert [r["RotationType"] for r in sydney.list_key_rotations(KeyId=key_id)["Rotations"]] == ["ON_DEMAND", "AUTOMATIC"]


def test_imported_material_is_imported_into_each_key_of_the_set_and_only_the_same_material_is_taken(clients, server):
    import os

    from test_imported_material import import_material, server_now

    home, europe = clients["us-east-1"], clients["eu-west-1"]
    created = home.create_key(MultiRegion=True, Origin="EXTERNAL")["KeyMetadata"]
    key_id = created["KeyId"]
    assert key_id.startswith("mrk-") and created["KeyState"] == "PendingImport"
    material = os.urandom(32)
    imported = import_material(home, key_id, material)
    blob = home.encrypt(KeyId=key_id, Plaintext=b"imported")["CiphertextBlob"]

    replica = home.replicate_key(KeyId=key_id, ReplicaRegion="eu-west-1")["ReplicaKeyMetadata"]
    assert (replica["Origin"], replica["KeyState"]) == ("EXTERNAL", "PendingImport"), "material is never copied"
    with pytest.raises(ClientError) as refused:
        europe.decrypt(CiphertextBlob=blob)
    assert code(refused)[0] == "KMSInvalidStateException"
    with pytest.raises(ClientError) as refused:
        import_material(europe, key_id, os.urandom(32))
    assert code(refused)[0] == "IncorrectKeyMaterialException", "a replica takes its primary's material only"
    again = import_material(europe, key_id, material, ExpirationModel="KEY_MATERIAL_EXPIRES",
                            ValidTo=server_now(server) + datetime.timedelta(days=30))
    assert again["KeyMaterialId"] == imported["KeyMaterialId"]
    assert europe.decrypt(CiphertextBlob=blob)["Plaintext"] == b"imported"
    assert europe.describe_key(KeyId=key_id)["KeyMetadata"]["ExpirationModel"] == "KEY_MATERIAL_EXPIRES"
    assert home.describe_key(KeyId=key_id)["KeyMetadata"]["ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE"

    # Each key's material is its own to delete; the others keep theirs.
    home.delete_imported_key_material(KeyId=key_id)
    assert home.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingImport"
    assert europe.decrypt(CiphertextBlob=blob)["Plaintext"] == b"imported"
    with pytest.raises(ClientError) as refused:
        import_material(europe, key_id, os.urandom(32), ImportType="NEW_KEY_MATERIAL")
    assert code(refused)[0] == "UnsupportedOperationException", "rotating imported multi-Region material is not built"
