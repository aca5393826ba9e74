/* Passkeys (ACC-6): registration, passwordless login and second factor, in plain JavaScript.
 *
 * Markup: an element with data-webauthn="register" | "login" | "second-factor", and
 *   data-options-url: POST here for the ceremony's options (JSON from py_webauthn),
 *   data-url:         POST the browser's answer here as {credential, name?, next?},
 *   inside it a button[data-webauthn-start], an optional input[data-webauthn-name] (register)
 *   and an element [data-webauthn-error] for messages.
 * The server answers {redirect: url} to go on, or {error: text} (plus redirect when the user
 * must first confirm the password).
 */
(function () {
  "use strict";

  function base64urlToBuffer(value) {
    var base64 = value.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) { base64 += "="; }
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) { bytes[i] = binary.charCodeAt(i); }
    return bytes.buffer;
  }

  function bufferToBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) { binary += String.fromCharCode(bytes[i]); }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  async function postJSON(url, body) {
    var response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken()},
      body: JSON.stringify(body || {})
    });
    var type = response.headers.get("Content-Type") || "";
    if (type.indexOf("application/json") === -1) {
      // Not one of our JSON answers (e.g. the pending login expired): follow the page we got.
      return {redirect: response.url};
    }
    return response.json();
  }

  function creationOptions(options) {
    options.challenge = base64urlToBuffer(options.challenge);
    options.user.id = base64urlToBuffer(options.user.id);
    (options.excludeCredentials || []).forEach(function (c) { c.id = base64urlToBuffer(c.id); });
    return options;
  }

  function requestOptions(options) {
    options.challenge = base64urlToBuffer(options.challenge);
    (options.allowCredentials || []).forEach(function (c) { c.id = base64urlToBuffer(c.id); });
    return options;
  }

  function credentialToJSON(credential) {
    var response = credential.response;
    var json = {
      id: credential.id,
      rawId: bufferToBase64url(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
      response: {clientDataJSON: bufferToBase64url(response.clientDataJSON)}
    };
    if (response.attestationObject) {
      json.response.attestationObject = bufferToBase64url(response.attestationObject);
      json.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      json.response.authenticatorData = bufferToBase64url(response.authenticatorData);
      json.response.signature = bufferToBase64url(response.signature);
      if (response.userHandle) { json.response.userHandle = bufferToBase64url(response.userHandle); }
    }
    return json;
  }

  function showError(box, text) {
    var target = box.querySelector("[data-webauthn-error]");
    if (target) {
      target.textContent = text;
      target.hidden = false;
    }
  }

  function follow(result, box) {
    if (result.error) { showError(box, result.error); }
    if (result.redirect) { window.location.assign(result.redirect); }
    return !result.error;
  }

  async function run(box) {
    var kind = box.dataset.webauthn;
    var nameInput = box.querySelector("[data-webauthn-name]");
    var body = {};
    if (nameInput) { body.name = nameInput.value; }
    if (box.dataset.next) { body.next = box.dataset.next; }
    var options = await postJSON(box.dataset.optionsUrl, body);
    if (options.error || options.redirect) { follow(options, box); return; }
    var credential;
    if (kind === "register") {
      credential = await navigator.credentials.create({publicKey: creationOptions(options)});
    } else {
      credential = await navigator.credentials.get({publicKey: requestOptions(options)});
    }
    body.credential = credentialToJSON(credential);
    follow(await postJSON(box.dataset.url, body), box);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-webauthn-start]");
    if (!button) { return; }
    var box = button.closest("[data-webauthn]");
    event.preventDefault();
    if (!window.PublicKeyCredential) {
      showError(box, box.dataset.unsupported || "Passkeys are not supported by this browser.");
      return;
    }
    button.disabled = true;
    run(box).catch(function () {
      showError(box, box.dataset.cancelled || "The passkey operation was cancelled or failed.");
    }).finally(function () { button.disabled = false; });
  });
})();
