// Contract section 1 for providers in other languages: seal a session key with @hpke/core and
// deposit it with @grpc/grpc-js. Run `npm ci` here first.
//
//   node deposit.mjs deposit <host:port> <provider_record_id> <subject_id> <covers_from> <covers_until>
//       fetches the current key, seals 32 random bytes and deposits them; prints the receipt.
//       Plaintext (a development service) unless ESCROW_CA, ESCROW_CERT and ESCROW_KEY name PEM files.
//   node deposit.mjs seal <public_key_hex> <key_id> <subject_id> <covers_from> <covers_until> <session_key_hex>
//       seals only, printing {"enc", "ciphertext"} in hex (the interop test opens it with the service's HPKE).
//
// Not shown: a production client must also verify t custodian attestations of the key
// (EscrowKey.attestations, CMS over escrow/v1/key-attestation) against custodian certificates it
// pins, as the Java EscrowClient does, before it seals to a key.
import { Aes256Gcm, CipherSuite, DhkemP256HkdfSha256, HkdfSha256 } from "@hpke/core";
import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import path from "node:path";

const suite = new CipherSuite({ kem: new DhkemP256HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes256Gcm() });
const utf8 = new TextEncoder();

/** HPKE base mode to the escrow key; info and aad exactly as contract section 1 fixes them. */
export async function sealDeposit(publicKey, keyId, subjectId, coversFrom, coversUntil, sessionKey) {
  if (publicKey.length !== 65 || publicKey[0] !== 0x04) throw new Error("the escrow public key must be 65-byte SEC1 uncompressed P-256");
  if (!(Number.isSafeInteger(coversFrom) && Number.isSafeInteger(coversUntil) && 0 <= coversFrom && coversFrom <= coversUntil)) {
    throw new Error("covers_from and covers_until must be whole Unix seconds, from <= until");
  }
  const recipientPublicKey = await suite.kem.deserializePublicKey(publicKey);
  const sender = await suite.createSenderContext({ recipientPublicKey, info: utf8.encode(`escrow/v1/deposit/${keyId}`) });
  const aad = utf8.encode(`${subjectId}\n${coversFrom}\n${coversUntil}`);
  const ciphertext = new Uint8Array(await sender.seal(sessionKey, aad));
  return { enc: new Uint8Array(sender.enc), ciphertext };
}

async function deposit([target, providerRecordId, subjectId, from, until]) {
  const grpc = await import("@grpc/grpc-js");
  const loader = await import("@grpc/proto-loader");
  const here = path.dirname(fileURLToPath(import.meta.url));
  const protoDir = path.resolve(here, "../../../proto/src/main/proto");
  const def = loader.loadSync("escrow/v1/escrow_service.proto", { includeDirs: [protoDir], keepCase: true, longs: String, defaults: true });
  const { EscrowService } = grpc.loadPackageDefinition(def).escrow.v1;
  const tls = process.env.ESCROW_CA
    ? grpc.credentials.createSsl(readFileSync(process.env.ESCROW_CA), readFileSync(process.env.ESCROW_KEY), readFileSync(process.env.ESCROW_CERT))
    : grpc.credentials.createInsecure();
  const client = new EscrowService(target, tls);
  const call = (method, request) => new Promise((resolve, reject) =>
    client[method](request, { deadline: Date.now() + 20000 }, (err, res) => (err ? reject(err) : resolve(res))));
  const key = await call("GetEscrowKey", {});
  const sessionKey = randomBytes(32);
  const sealed = await sealDeposit(new Uint8Array(key.public_key), key.key_id, subjectId, Number(from), Number(until), sessionKey);
  sessionKey.fill(0);
  const receipt = await call("Deposit", {
    provider_record_id: providerRecordId, subject_id: subjectId, key_id: key.key_id,
    covers_from: { seconds: from }, covers_until: { seconds: until },
    enc: Buffer.from(sealed.enc), ciphertext: Buffer.from(sealed.ciphertext),
  });
  console.log(JSON.stringify({ key_id: key.key_id, ...receipt }));
  client.close();
}

const [mode, ...args] = process.argv.slice(2);
if (mode === "seal") {
  const [pub, keyId, subject, from, until, sessionKeyHex] = args;
  const s = await sealDeposit(Buffer.from(pub, "hex"), keyId, subject, Number(from), Number(until), Buffer.from(sessionKeyHex, "hex"));
  console.log(JSON.stringify({ enc: Buffer.from(s.enc).toString("hex"), ciphertext: Buffer.from(s.ciphertext).toString("hex") }));
} else if (mode === "deposit") {
  await deposit(args);
} else {
  console.error("usage: node deposit.mjs deposit <host:port> <provider_record_id> <subject_id> <covers_from> <covers_until>\n"
    + "       node deposit.mjs seal <public_key_hex> <key_id> <subject_id> <covers_from> <covers_until> <session_key_hex>");
  process.exit(2);
}
