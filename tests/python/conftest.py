"""The Python client suite's harness: one real `trent serve --dev` per session, reset before every test, and
boto3 / aws CLI clients pointed at it. Client-side parameter validation is off so that bad input reaches the
server, which must refuse it itself."""

import json
import os
import subprocess
import tempfile
import threading
import urllib.request
import uuid

import boto3
import pytest
from botocore.config import Config

REGION = "us-east-1"
ACCOUNT = "111122223333"
# The second account the suite's server knows, and its root user's access key.
OTHER_ACCOUNT = "444455556666"
OTHER_ACCESS_KEY = "other-account"
OTHER_SECRET = "other-secret"


def on_postgres():
    """True when the suite runs on PostgreSQL (TRENT_TEST_BACKEND=postgres, set by scripts/test.sh)."""
    return os.environ.get("TRENT_TEST_BACKEND") == "postgres"


def psql(url, sql):
    subprocess.run(["psql", url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True, capture_output=True)


def database_url(admin_url, name):
    base, _, query = admin_url.partition("?")
    scheme, _, rest = base.partition("://")
    authority = rest.split("/", 1)[0]
    return f"{scheme}://{authority}/{name}" + (f"?{query}" if query else "")


class Server:
    def __init__(self, binary, data_dir, extra=()):
        self.database = None
        if on_postgres():
            admin = os.environ["TRENT_TEST_POSTGRES_URL"]
            self.database = (admin, f"trent_py_{uuid.uuid4().hex}")
            psql(admin, f"CREATE DATABASE {self.database[1]}")
            extra = ("--database", database_url(admin, self.database[1]), *extra)
        self.process = subprocess.Popen(
            [binary, "serve", "--dev", "--listen", "127.0.0.1:0", "--log", "warn", "--data-dir", data_dir, *extra],
            stdout=subprocess.PIPE,
            text=True,
        )
        # Dev mode serves both APIs: the AWS listener's line comes first, then the Alibaba listener's.
        self.endpoint = self.alibaba_host = None
        for line in self.process.stdout:
            if line.startswith("Trent listening on "):
                self.endpoint = line.split()[3]
            elif line.startswith("Trent Alibaba Cloud KMS API listening on "):
                # Alibaba's SDKs take host:port, without the scheme.
                self.alibaba_host = line.split()[-1].removeprefix("http://")
                break
        if not (self.endpoint and self.alibaba_host):
            raise RuntimeError("trent exited before listening")
        threading.Thread(target=lambda: [None for _ in self.process.stdout], daemon=True).start()

    def post(self, path, body=b""):
        request = urllib.request.Request(self.endpoint + path, data=body, method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def advance_clock(self, seconds):
        return self.post("/_trent/clock", json.dumps({"advance_seconds": seconds}).encode())

    def stop(self):
        self.process.kill()
        self.process.wait()
        if self.database:
            psql(self.database[0], f"DROP DATABASE IF EXISTS {self.database[1]} WITH (FORCE)")


@pytest.fixture(scope="session")
def server():
    binary = os.environ.get("TRENT_BIN", "target/debug/trent")
    with tempfile.TemporaryDirectory() as data_dir:
        # A second account, for cross-account use.
        server = Server(binary, data_dir, ("--credential", f"{OTHER_ACCESS_KEY}:{OTHER_SECRET}:{OTHER_ACCOUNT}"))
        yield server
        server.stop()


@pytest.fixture(autouse=True)
def fresh(server):
    server.post("/_trent/reset")


def make_client(server, access_key="test", secret="test", region=REGION):
    return boto3.client(
        "kms",
        endpoint_url=server.endpoint,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret,
        config=Config(parameter_validation=False, retries={"max_attempts": 1, "mode": "standard"}),
    )


@pytest.fixture
def kms(server):
    return make_client(server)


@pytest.fixture
def aws(server, tmp_path):
    """Runs the aws CLI against the server; returns (exit code, parsed JSON or None, stderr)."""
    config = tmp_path / "aws-config"
    config.write_text("[default]\nparameter_validation = false\nmax_attempts = 1\n")
    env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION=REGION,
               AWS_CONFIG_FILE=str(config), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"))

    def run(*args):
        done = subprocess.run(["aws", "--endpoint-url", server.endpoint, "kms", *args, "--output", "json"],
                              capture_output=True, text=True, env=env, timeout=60)
        body = json.loads(done.stdout) if done.stdout.strip() else None
        return done.returncode, body, done.stderr

    return run


def wait_until_gone(client, key_id, seconds=5):
    """Waits until `key_id` is no longer found (the deletion worker destroys a key within moments of its date)."""
    import time

    from botocore.exceptions import ClientError

    deadline = time.time() + seconds
    while True:
        try:
            client.describe_key(KeyId=key_id)
        except ClientError as gone:
            assert gone.response["Error"]["Code"] == "NotFoundException"
            return
        assert time.time() < deadline, f"{key_id} was not deleted within {seconds} seconds of its date"
        time.sleep(0.05)


@pytest.fixture
def trent(server, tmp_path):
    """Runs the `trent` client (`trent admin …`, `trent key …`) as the account administrator; returns its parsed JSON
    output."""
    binary = os.environ.get("TRENT_BIN", "target/debug/trent")
    env = dict(os.environ, TRENT_ENDPOINT_URL=server.endpoint, AWS_ACCESS_KEY_ID="test",
               AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION=REGION)

    def run(*args):
        done = subprocess.run([binary, *args, "--output", "json"], capture_output=True, text=True, env=env,
                              timeout=30)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if done.stdout.strip() else None

    def user(name, policy=None):
        """A user with an access key (and, if given, an identity policy); its boto3 client."""
        run("admin", "user", "create", name)
        key = run("admin", "access-key", "create", name)
        assert set(key) == {"AccessKeyId", "SecretAccessKey"}
        if policy is not None:
            path = tmp_path / f"{name}-policy.json"
            path.write_text(json.dumps(policy))
            run("admin", "user", "put-policy", name, "--policy-name", "kms-use", "--policy-file", str(path))
        return make_client(server, key["AccessKeyId"], key["SecretAccessKey"])

    run.user = user
    return run


def user_arn(name):
    return f"arn:aws:iam::{ACCOUNT}:user/{name}"
