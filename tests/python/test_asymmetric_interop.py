"""Asymmetric and HMAC keys against a library nobody here wrote: Python's `cryptography` verifies Trent's
signatures with the public key from GetPublicKey, encrypts to Trent's RSA public keys, derives the same ECDH secret
from the other side, and opens data key pairs; a MAC verifies under its own key and fails under every other."""

import pytest
from botocore.exceptions import ClientError
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding


def code(error):
    return error.value.response["Error"]["Code"]


def public_key(kms, key_id):
    return serialization.load_der_public_key(kms.get_public_key(KeyId=key_id)["PublicKey"])


def create(kms, spec, usage):
    return kms.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]["KeyId"]


MESSAGE = b"transfer 100 to alice"

SIGNING_CASES = [
    ("ECC_NIST_P256", "ECDSA_SHA_256", lambda key, sig: key.verify(sig, MESSAGE, ec.ECDSA(hashes.SHA256()))),
    ("ECC_NIST_P384", "ECDSA_SHA_384", lambda key, sig: key.verify(sig, MESSAGE, ec.ECDSA(hashes.SHA384()))),
    ("ECC_NIST_P521", "ECDSA_SHA_512", lambda key, sig: key.verify(sig, MESSAGE, ec.ECDSA(hashes.SHA512()))),
    ("ECC_SECG_P256K1", "ECDSA_SHA_256", lambda key, sig: key.verify(sig, MESSAGE, ec.ECDSA(hashes.SHA256()))),
    ("RSA_2048", "RSASSA_PSS_SHA_256",
     lambda key, sig: key.verify(sig, MESSAGE, padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.DIGEST_LENGTH), hashes.SHA256())),
    ("RSA_3072", "RSASSA_PSS_SHA_512",
     lambda key, sig: key.verify(sig, MESSAGE, padding.PSS(padding.MGF1(hashes.SHA512()), padding.PSS.DIGEST_LENGTH), hashes.SHA512())),
    ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_384", lambda key, sig: key.verify(sig, MESSAGE, padding.PKCS1v15(), hashes.SHA384())),
    ("ECC_NIST_EDWARDS25519", "ED25519_SHA_512", lambda key, sig: key.verify(sig, MESSAGE)),
]


@pytest.mark.parametrize("spec,algorithm,verify", SIGNING_CASES, ids=[f"{s}-{a}" for s, a, _ in SIGNING_CASES])
def test_signatures_verify_in_cryptography_with_the_public_key(kms, spec, algorithm, verify):
    key_id = create(kms, spec, "SIGN_VERIFY")
    signature = kms.sign(KeyId=key_id, Message=MESSAGE, SigningAlgorithm=algorithm)["Signature"]
    key = public_key(kms, key_id)
    verify(key, signature)
    with pytest.raises(InvalidSignature):
        verify(key, signature[:-1] + bytes([signature[-1] ^ 1]))


@pytest.mark.parametrize("spec,algorithm,hash_cls", [
    ("RSA_2048", "RSAES_OAEP_SHA_1", hashes.SHA1),
    ("RSA_2048", "RSAES_OAEP_SHA_256", hashes.SHA256),
    ("RSA_4096", "RSAES_OAEP_SHA_256", hashes.SHA256),
])
def test_data_encrypted_by_cryptography_to_the_public_key_decrypts_in_trent(kms, spec, algorithm, hash_cls):
    key_id = create(kms, spec, "ENCRYPT_DECRYPT")
    oaep = padding.OAEP(mgf=padding.MGF1(hash_cls()), algorithm=hash_cls(), label=None)
    ciphertext = public_key(kms, key_id).encrypt(b"sealed outside Trent", oaep)
    answer = kms.decrypt(KeyId=key_id, CiphertextBlob=ciphertext, EncryptionAlgorithm=algorithm)
    assert answer["Plaintext"] == b"sealed outside Trent"
    assert answer["EncryptionAlgorithm"] == algorithm


@pytest.mark.parametrize("spec,curve", [("ECC_NIST_P256", ec.SECP256R1), ("ECC_NIST_P384", ec.SECP384R1), ("ECC_NIST_P521", ec.SECP521R1)])
def test_an_ecdh_secret_derived_by_trent_equals_the_one_cryptography_derives(kms, spec, curve):
    key_id = create(kms, spec, "KEY_AGREEMENT")
    peer = ec.generate_private_key(curve())
    peer_public = peer.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    derived = kms.derive_shared_secret(KeyId=key_id, KeyAgreementAlgorithm="ECDH", PublicKey=peer_public)
    assert derived["KeyAgreementAlgorithm"] == "ECDH"
    assert derived["SharedSecret"] == peer.exchange(ec.ECDH(), public_key(kms, key_id))


def test_a_data_key_pair_opens_in_cryptography(kms):
    wrapping = kms.create_key()["KeyMetadata"]["KeyId"]
    for spec in ["RSA_2048", "ECC_NIST_P256", "ECC_SECG_P256K1", "ECC_NIST_EDWARDS25519"]:
        pair = kms.generate_data_key_pair(KeyId=wrapping, KeyPairSpec=spec, EncryptionContext={"purpose": "test"})
        private = serialization.load_der_private_key(pair["PrivateKeyPlaintext"], password=None)
        public = private.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        assert public == pair["PublicKey"], spec
        opened = kms.decrypt(CiphertextBlob=pair["PrivateKeyCiphertextBlob"], EncryptionContext={"purpose": "test"})
        assert opened["Plaintext"] == pair["PrivateKeyPlaintext"], spec


def test_a_mac_verifies_under_its_own_key_and_fails_under_every_other(kms):
    keys = [create(kms, "HMAC_256", "GENERATE_VERIFY_MAC") for _ in range(3)]
    for own in keys:
        mac = kms.generate_mac(KeyId=own, Message=MESSAGE, MacAlgorithm="HMAC_SHA_256")["Mac"]
        for other in keys:
            if other == own:
                assert kms.verify_mac(KeyId=other, Message=MESSAGE, MacAlgorithm="HMAC_SHA_256", Mac=mac)["MacValid"]
            else:
                with pytest.raises(ClientError) as e:
                    kms.verify_mac(KeyId=other, Message=MESSAGE, MacAlgorithm="HMAC_SHA_256", Mac=mac)
                assert code(e) == "KMSInvalidMacException"
    bigger = create(kms, "HMAC_384", "GENERATE_VERIFY_MAC")
    with pytest.raises(ClientError) as e:
        kms.verify_mac(KeyId=bigger, Message=MESSAGE, MacAlgorithm="HMAC_SHA_256", Mac=b"\0" * 32)
    assert code(e) == "InvalidKeyUsageException"


def test_asymmetric_keys_through_the_aws_cli(aws, tmp_path):
    status, created, err = aws("create-key", "--key-spec", "ECC_NIST_P256", "--key-usage", "SIGN_VERIFY")
    assert status == 0, err
    key_id = created["KeyMetadata"]["KeyId"]
    assert created["KeyMetadata"]["SigningAlgorithms"] == ["ECDSA_SHA_256"]
    message = tmp_path / "message"
    message.write_bytes(MESSAGE)
    status, signed, err = aws("sign", "--key-id", key_id, "--message", f"fileb://{message}", "--signing-algorithm", "ECDSA_SHA_256")
    assert status == 0, err
    status, public, err = aws("get-public-key", "--key-id", key_id)
    assert status == 0, err
    import base64
    key = serialization.load_der_public_key(base64.b64decode(public["PublicKey"]))
    key.verify(base64.b64decode(signed["Signature"]), MESSAGE, ec.ECDSA(hashes.SHA256()))


@pytest.mark.parametrize("spec", ["ML_DSA_44", "ML_DSA_65", "ML_DSA_87"])
def test_ml_dsa_signatures_verify_in_cryptography(kms, spec):
    key_id = create(kms, spec, "SIGN_VERIFY")
    signature = kms.sign(KeyId=key_id, Message=MESSAGE, SigningAlgorithm="ML_DSA_SHAKE_256")["Signature"]
    key = public_key(kms, key_id)
    key.verify(signature, MESSAGE)
    with pytest.raises(InvalidSignature):
        key.verify(signature, MESSAGE + b"!")


@pytest.mark.parametrize("spec", ["ML_KEM_768", "ML_KEM_1024"])
def test_a_secret_encapsulated_by_cryptography_to_the_public_key_decapsulates_in_trent(kms, spec):
    key_id = create(kms, spec, "ENCAPSULATE_DECAPSULATE")
    secret, ciphertext = public_key(kms, key_id).encapsulate()
    answer = kms.decapsulate(KeyId=key_id, SharedSecretCiphertextBlob=ciphertext, EncapsulationAlgorithm="ML_KEM")
    assert answer["SharedSecret"] == secret
