/*
 * Login certificate made in the user's browser (ACC-7, ADM-3).
 *
 * The key pair (ECDSA P-256) is made here with Web Crypto; only the certificate request (PKCS#10,
 * RFC 2986) goes to the portal, which answers with the signed certificate and its issuing CA. This
 * page then packs key and certificate into a PKCS#12 file (RFC 7292) protected by the password the
 * user typed (key and certificates encrypted with PBES2: PBKDF2-HMAC-SHA256 and AES-256-CBC; the
 * MAC is HMAC-SHA256) and offers it for download, to be imported into the browser or the system's
 * certificate store. The private key never leaves this page.
 *
 * Source of static/js/clientcert.bundle.js (a build output): `npm ci` then
 *   npx esbuild static/js/clientcert.src.js --bundle --minify --format=iife --target=es2020 \
 *     --outfile=static/js/clientcert.bundle.js
 *
 * Markup: a container [data-clientcert] with data-url (where the CSR is posted), data-username,
 * data-filename and data-msg-* texts; inside, inputs [data-cc=password|password2], a button
 * [data-cc=generate], a status [data-cc=status] and a link [data-cc=save]. The CSRF token is read
 * from the form's csrfmiddlewaretoken input.
 */
import "reflect-metadata"; // tsyringe, used by @peculiar/x509, needs it loaded first
import * as x509 from "@peculiar/x509";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";

export const PBKDF2_ITERATIONS = 210000; // key and certificate encryption (native PBKDF2)
export const MAC_ITERATIONS = 2048; // the PKCS#12 MAC key derivation runs in JavaScript
const MIN_PASSWORD = 12;
const KEY_ALGORITHM = { name: "ECDSA", namedCurve: "P-256" };
const SIGNING_ALGORITHM = { name: "ECDSA", hash: "SHA-256" };
const OID_FRIENDLY_NAME = "1.2.840.113549.1.9.20";
const OID_LOCAL_KEY_ID = "1.2.840.113549.1.9.21";
const OID_KEY_BAG = "1.2.840.113549.1.12.10.1.2";
const OID_CERT_BAG = "1.2.840.113549.1.12.10.1.3";

function engine() {
  const cryptoEngine = new pkijs.CryptoEngine({ name: "webcrypto", crypto: self.crypto });
  pkijs.setEngine("webcrypto", cryptoEngine);
  x509.cryptoProvider.set(self.crypto);
  return cryptoEngine;
}

function derOfPem(pemText) {
  const body = pemText.replace(/-----(BEGIN|END) CERTIFICATE-----/g, "").replace(/\s+/g, "");
  const binary = atob(body);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) {
    bytes[i] = binary.charCodeAt(i);
  }
  return bytes.buffer;
}

/** A key pair and its CSR; the subject is a placeholder, the portal sets the names itself. */
export async function makeRequest(commonName) {
  engine();
  // Extractable only so that the key can be packed, encrypted, into the PKCS#12 file below.
  const keys = await self.crypto.subtle.generateKey(KEY_ALGORITHM, true, ["sign", "verify"]);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [commonName] }],
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
  });
  return { keys, csrPem: `${csr.toString("pem")}\n` };
}

function attributes(friendlyName, localKeyId) {
  const result = [new pkijs.Attribute({ type: OID_LOCAL_KEY_ID, values: [new asn1js.OctetString({ valueHex: localKeyId })] })];
  if (friendlyName) {
    result.unshift(new pkijs.Attribute({ type: OID_FRIENDLY_NAME, values: [new asn1js.BmpString({ value: friendlyName })] }));
  }
  return result;
}

/** The PKCS#12 file (DER bytes) of the private key, its certificate and the CA certificates. */
export async function makePkcs12({ privateKey, certificatePem, chainPems = [], password, friendlyName }) {
  const cryptoEngine = engine();
  const secret = new TextEncoder().encode(password).buffer;
  const localKeyId = self.crypto.getRandomValues(new Uint8Array(8)).buffer;
  const pkcs8 = await self.crypto.subtle.exportKey("pkcs8", privateKey);
  const keyBag = new pkijs.PKCS8ShroudedKeyBag({ parsedValue: pkijs.PrivateKeyInfo.fromBER(pkcs8) });
  const encryption = {
    password: secret,
    contentEncryptionAlgorithm: { name: "AES-CBC", length: 256 },
    hmacHashAlgorithm: "SHA-256",
    iterationCount: PBKDF2_ITERATIONS,
  };
  await keyBag.makeInternalValues(encryption, cryptoEngine);
  // pkijs may split the ciphertext into a constructed OCTET STRING (a CMS habit); PKCS#8 readers
  // want the primitive DER form, so it is written out whole.
  keyBag.encryptedData = new asn1js.OctetString({ valueHex: keyBag.encryptedData.getValue() });
  const certificateBags = [certificatePem, ...chainPems].map((pemText, index) => new pkijs.SafeBag({
    bagId: OID_CERT_BAG,
    bagValue: new pkijs.CertBag({ parsedValue: pkijs.Certificate.fromBER(derOfPem(pemText)) }),
    bagAttributes: index === 0 ? attributes(friendlyName, localKeyId) : undefined,
  }));
  const pfx = new pkijs.PFX({
    parsedValue: {
      integrityMode: 0, // password integrity (a MAC), RFC 7292 4
      authenticatedSafe: new pkijs.AuthenticatedSafe({
        parsedValue: {
          safeContents: [
            { privacyMode: 0, value: new pkijs.SafeContents({ safeBags: [new pkijs.SafeBag({ bagId: OID_KEY_BAG, bagValue: keyBag, bagAttributes: attributes(friendlyName, localKeyId) })] }) },
            { privacyMode: 1, value: new pkijs.SafeContents({ safeBags: certificateBags }) },
          ],
        },
      }),
    },
  });
  await pfx.parsedValue.authenticatedSafe.makeInternalValues({ safeContents: [{}, { ...encryption }] }, cryptoEngine);
  await pfx.makeInternalValues({ password: secret, iterations: MAC_ITERATIONS, pbkdf2HashAlgorithm: "SHA-256", hmacHashAlgorithm: "SHA-256" }, cryptoEngine);
  return pfx.toSchema().toBER(false);
}

// ---- The panel ----------------------------------------------------------------------------------

function field(panel, name) {
  return panel.querySelector(`[data-cc=${name}]`);
}

function setStatus(panel, text, isError) {
  const status = field(panel, "status");
  status.textContent = text;
  status.classList.toggle("errorlist", Boolean(isError));
}

function csrfToken(panel) {
  const input = panel.querySelector("input[name=csrfmiddlewaretoken]") || document.querySelector("input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

async function requestCertificate(panel, csrPem) {
  const response = await fetch(panel.dataset.url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(panel) },
    body: JSON.stringify({ csr: csrPem }),
  });
  let data = {};
  try {
    data = await response.json();
  } catch (error) {
    data = {};
  }
  if (!response.ok || !data.certificate) {
    throw new Error(data.error || panel.dataset.msgFailed);
  }
  return data;
}

function offerDownload(panel, der, name) {
  const link = field(panel, "save");
  link.href = URL.createObjectURL(new Blob([der], { type: "application/x-pkcs12" }));
  link.download = name;
  link.hidden = false;
  link.click();
}

async function onGenerate(panel) {
  const messages = panel.dataset;
  const password = field(panel, "password").value;
  if (password.length < MIN_PASSWORD) {
    setStatus(panel, messages.msgShort, true);
    return;
  }
  if (password !== field(panel, "password2").value) {
    setStatus(panel, messages.msgMismatch, true);
    return;
  }
  const button = field(panel, "generate");
  button.disabled = true;
  setStatus(panel, messages.msgWorking, false);
  try {
    const { keys, csrPem } = await makeRequest(messages.username);
    const issued = await requestCertificate(panel, csrPem);
    const der = await makePkcs12({
      privateKey: keys.privateKey,
      certificatePem: issued.certificate,
      chainPems: issued.chain || [],
      password,
      friendlyName: issued.friendly_name || messages.username,
    });
    offerDownload(panel, der, issued.filename || messages.filename);
    field(panel, "password").value = "";
    field(panel, "password2").value = "";
    setStatus(panel, messages.msgDone, false);
  } catch (error) {
    button.disabled = false;
    setStatus(panel, `${messages.msgFailed} ${error && error.message ? error.message : error}`, true);
  }
}

function init(panel) {
  if (!self.crypto || !self.crypto.subtle) {
    setStatus(panel, panel.dataset.msgNoCrypto, true);
    field(panel, "generate").disabled = true;
    return;
  }
  field(panel, "generate").addEventListener("click", (event) => {
    event.preventDefault();
    onGenerate(panel);
  });
}

function start() {
  document.querySelectorAll("[data-clientcert]").forEach(init);
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", start);
} else {
  start();
}

self.ClientCert = { makeRequest, makePkcs12 };
