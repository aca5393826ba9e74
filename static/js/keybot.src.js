/*
 * KeyBot (ORD-7): the key pair is made in the user's browser with Web Crypto, the CSR (PKCS#10,
 * RFC 2986) is built here from the order's data and put in the CSR field, and the private key is
 * saved on the user's machine as a password-encrypted PKCS#8 file (RFC 5958 EncryptedPrivateKeyInfo,
 * PBES2 of RFC 8018: PBKDF2-HMAC-SHA256 and AES-256-CBC). The private key never leaves this page:
 * no request carries it, only the CSR goes to the server with the form.
 *
 * Source of static/js/keybot.bundle.js (a build output): `npm ci` then
 *   npx esbuild static/js/keybot.src.js --bundle --minify --format=iife --target=es2020 \
 *     --outfile=static/js/keybot.bundle.js
 *
 * Markup: a container [data-keybot] holding inputs [data-kb=cn|o|l|c|email|algorithm|password|password2],
 * a checkbox [data-kb=accept], a button [data-kb=generate], a status [data-kb=status] and a link
 * [data-kb=save]; its data-target names the CSR textarea, data-context the id of a JSON script
 * (json_script) saying where the defaults come from (see `defaults`).
 */
import "reflect-metadata"; // tsyringe, used by @peculiar/x509, needs it loaded first
import * as x509 from "@peculiar/x509";
import * as asn1js from "asn1js";
import { CryptoEngine, PKCS8ShroudedKeyBag, PrivateKeyInfo, setEngine } from "pkijs";

export const PBKDF2_ITERATIONS = 600000; // OWASP 2023 figure for PBKDF2-HMAC-SHA256
const MIN_PASSWORD = 12;

export const ALGORITHMS = {
  "RSA-2048": { keygen: { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048 }, sign: { name: "RSASSA-PKCS1-v1_5" }, hash: "SHA-256" },
  "RSA-3072": { keygen: { name: "RSASSA-PKCS1-v1_5", modulusLength: 3072 }, sign: { name: "RSASSA-PKCS1-v1_5" }, hash: "SHA-256" },
  "RSA-4096": { keygen: { name: "RSASSA-PKCS1-v1_5", modulusLength: 4096 }, sign: { name: "RSASSA-PKCS1-v1_5" }, hash: "SHA-256" },
  "P-256": { keygen: { name: "ECDSA", namedCurve: "P-256" }, sign: { name: "ECDSA", hash: "SHA-256" }, hash: "SHA-256" },
  "P-384": { keygen: { name: "ECDSA", namedCurve: "P-384" }, sign: { name: "ECDSA", hash: "SHA-384" }, hash: "SHA-384" },
};

function cryptoEngine() {
  const engine = new CryptoEngine({ name: "webcrypto", crypto: self.crypto });
  setEngine("webcrypto", engine);
  x509.cryptoProvider.set(self.crypto);
  return engine;
}

function pem(label, der) {
  const bytes = new Uint8Array(der);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 1) {
    binary += String.fromCharCode(bytes[i]);
  }
  const lines = btoa(binary).match(/.{1,64}/g).join("\n");
  return `-----BEGIN ${label}-----\n${lines}\n-----END ${label}-----\n`;
}

/** The subject in the CA/B order (C, L, O, CN, emailAddress), empty values left out. */
function subjectOf(subject) {
  const rdns = [];
  for (const key of ["C", "L", "O", "CN", "E"]) {
    const value = (subject[key] || "").trim();
    if (value) {
      rdns.push({ [key]: [value] });
    }
  }
  return rdns;
}

/**
 * Make a key pair, its CSR and the encrypted PKCS#8 of its private key.
 * `subject`: {CN, O, L, C, E}; `dnsNames` and `emails` go in the subjectAltName extension.
 * Returns {csrPem, encryptedKeyPem}; nothing is sent anywhere.
 */
export async function generate({ algorithm, subject, dnsNames = [], emails = [], password }) {
  const choice = ALGORITHMS[algorithm];
  if (!choice) {
    throw new Error(`unknown algorithm ${algorithm}`);
  }
  const engine = cryptoEngine();
  const keygen = { ...choice.keygen, hash: choice.hash };
  if (keygen.modulusLength) {
    keygen.publicExponent = new Uint8Array([1, 0, 1]);
  }
  // Extractable only so that the key can be encrypted for the file below.
  const keys = await self.crypto.subtle.generateKey(keygen, true, ["sign", "verify"]);
  const names = [...dnsNames.map((value) => ({ type: "dns", value })), ...emails.map((value) => ({ type: "email", value }))];
  const extensions = names.length ? [new x509.SubjectAlternativeNameExtension(names, false)] : [];
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: subjectOf(subject),
    keys,
    signingAlgorithm: { ...choice.sign, hash: choice.hash },
    extensions,
  });
  const pkcs8 = await self.crypto.subtle.exportKey("pkcs8", keys.privateKey);
  const bag = new PKCS8ShroudedKeyBag({ parsedValue: PrivateKeyInfo.fromBER(pkcs8) });
  await bag.makeInternalValues({
    password: new TextEncoder().encode(password).buffer,
    contentEncryptionAlgorithm: { name: "AES-CBC", length: 256 },
    hmacHashAlgorithm: "SHA-256",
    iterationCount: PBKDF2_ITERATIONS,
  }, engine);
  // pkijs may split the ciphertext into a constructed OCTET STRING (a CMS habit); PKCS#8 readers
  // (OpenSSL, Python's cryptography) want the primitive DER form, so it is written out whole here.
  const encrypted = new asn1js.Sequence({
    value: [bag.encryptionAlgorithm.toSchema(), new asn1js.OctetString({ valueHex: bag.encryptedData.getValue() })],
  }).toBER(false);
  return { csrPem: csr.toString("pem") + "\n", encryptedKeyPem: pem("ENCRYPTED PRIVATE KEY", encrypted) };
}

// ---- The panel --------------------------------------------------------------------------------

function $(selector) {
  return selector ? document.querySelector(selector) : null;
}

function value(selector) {
  const element = $(selector);
  return element ? element.value.trim() : "";
}

function selectedText(selector) {
  const element = $(selector);
  if (!element || element.selectedIndex < 0 || !element.value) {
    return "";
  }
  return element.value;
}

/**
 * Defaults of the subject from the order form, per the context's `mode`:
 * - "server": CN from the common name field, DNS names from it and the extra names field;
 * - "client": CN and email from the administrative contact (the holder);
 * - "organisation": CN is the holder organisation's name (code signing, seals);
 * - "fixed": the invitation page, everything given by the server.
 * O, L, C come from the holder organisation picked (or typed as a new one).
 */
function defaults(context) {
  if (context.mode === "fixed") {
    return { ...context.fixed };
  }
  const form = context.fields;
  const orgId = selectedText(form.organisation);
  const known = (context.organisations || {})[orgId];
  const org = known || { name: value(form.org_name), city: value(form.org_city), country: value(form.org_country) };
  const result = { O: org.name, L: org.city, C: org.country, CN: "", E: "", dns: [], emails: [] };
  if (context.mode === "server") {
    result.CN = value(form.common_name).toLowerCase();
    const extra = value(form.sans).split(/[\s,;]+/).map((n) => n.toLowerCase()).filter(Boolean);
    result.dns = [...new Set([result.CN, ...extra].filter(Boolean))];
  } else if (context.mode === "client") {
    const contactId = selectedText(form.admin_contact);
    const contact = (context.contacts || {})[contactId];
    const email = contact ? contact.email : value(form.admin_email);
    result.CN = email;
    result.E = email;
    result.emails = email ? [email] : [];
  } else {
    result.CN = org.name;
  }
  return result;
}

function setStatus(panel, text, isError) {
  const status = panel.querySelector("[data-kb=status]");
  status.textContent = text;
  status.classList.toggle("errorlist", Boolean(isError));
}

function field(panel, name) {
  return panel.querySelector(`[data-kb=${name}]`);
}

function fill(panel, context) {
  const d = defaults(context);
  for (const [name, key] of [["cn", "CN"], ["o", "O"], ["l", "L"], ["c", "C"], ["email", "E"]]) {
    const input = field(panel, name);
    if (input && !input.readOnly) {
      input.value = d[key] || "";
    } else if (input) {
      input.value = d[key] || input.value;
    }
  }
  panel.dataset.dns = JSON.stringify(d.dns || []);
  panel.dataset.emails = JSON.stringify(d.emails || []);
}

function fileName(commonName) {
  const base = (commonName || "keybot").replace(/[^A-Za-z0-9.@_-]+/g, "_").replace(/^\*/, "wildcard");
  return `${base}.key.pem`;
}

function offerDownload(panel, pemText, name) {
  const link = field(panel, "save");
  const url = URL.createObjectURL(new Blob([pemText], { type: "application/x-pem-file" }));
  link.href = url;
  link.download = name;
  link.hidden = false;
  link.click();
}

async function onGenerate(panel, context) {
  const messages = panel.dataset;
  const password = field(panel, "password").value;
  const confirmation = field(panel, "password2").value;
  if (password.length < MIN_PASSWORD) {
    setStatus(panel, messages.msgShort, true);
    return;
  }
  if (password !== confirmation) {
    setStatus(panel, messages.msgMismatch, true);
    return;
  }
  const accept = field(panel, "accept");
  if (accept && !accept.checked) {
    setStatus(panel, messages.msgAccept, true);
    return;
  }
  if (context.mode !== "fixed") {
    // Names follow the form as it is now (the common name may have been typed after opening).
    const d = defaults(context);
    panel.dataset.dns = JSON.stringify(d.dns || []);
    panel.dataset.emails = JSON.stringify(d.emails || []);
  }
  const subject = {
    CN: field(panel, "cn").value, O: field(panel, "o").value, L: field(panel, "l").value,
    C: field(panel, "c").value.toUpperCase(), E: field(panel, "email") ? field(panel, "email").value : "",
  };
  if (!subject.CN.trim()) {
    setStatus(panel, messages.msgCn, true);
    return;
  }
  const button = field(panel, "generate");
  button.disabled = true;
  setStatus(panel, messages.msgWorking, false);
  try {
    const result = await generate({
      algorithm: field(panel, "algorithm").value,
      subject,
      dnsNames: JSON.parse(panel.dataset.dns || "[]"),
      emails: JSON.parse(panel.dataset.emails || "[]"),
      password,
    });
    const target = $(panel.dataset.target);
    target.value = result.csrPem;
    target.dispatchEvent(new Event("change", { bubbles: true }));
    offerDownload(panel, result.encryptedKeyPem, fileName(subject.CN));
    field(panel, "password").value = "";
    field(panel, "password2").value = "";
    setStatus(panel, messages.msgDone, false);
  } catch (error) {
    setStatus(panel, `${messages.msgFailed} ${error && error.message ? error.message : error}`, true);
  } finally {
    button.disabled = false;
  }
}

function init(panel) {
  const contextElement = document.getElementById(panel.dataset.context);
  const context = contextElement ? JSON.parse(contextElement.textContent) : { mode: "fixed", fixed: {} };
  if (!self.crypto || !self.crypto.subtle) {
    setStatus(panel, panel.dataset.msgNoCrypto, true);
    field(panel, "generate").disabled = true;
    return;
  }
  fill(panel, context);
  const details = panel.closest("details");
  if (details) {
    details.addEventListener("toggle", () => { if (details.open) { fill(panel, context); } });
  }
  const refresh = field(panel, "refresh");
  if (refresh) {
    refresh.addEventListener("click", (event) => { event.preventDefault(); fill(panel, context); });
  }
  field(panel, "generate").addEventListener("click", (event) => {
    event.preventDefault();
    onGenerate(panel, context);
  });
}

function start() {
  document.querySelectorAll("[data-keybot]").forEach(init);
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", start);
} else {
  start();
}

self.KeyBot = { generate, ALGORITHMS, PBKDF2_ITERATIONS };
