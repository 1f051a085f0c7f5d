/* Passkeys (WebAuthn) for the back office's second-factor, enrolment and re-authentication pages.
 * Loaded only on those pages. Each <div data-webauthn="register|authenticate"> names the URL that
 * hands out options (with a server-made challenge) and the URL that verifies the browser's answer.
 * Without JavaScript or without WebAuthn support the blocks stay hidden and the TOTP form works. */
(function () {
  "use strict";

  function fromB64url(value) {
    var text = value.replace(/-/g, "+").replace(/_/g, "/");
    while (text.length % 4) { text += "="; }
    var raw = atob(text);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes.buffer;
  }

  function toB64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i++) { raw += String.fromCharCode(bytes[i]); }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function creationOptions(json) {
    var options = Object.assign({}, json);
    options.challenge = fromB64url(json.challenge);
    options.user = Object.assign({}, json.user, { id: fromB64url(json.user.id) });
    options.excludeCredentials = (json.excludeCredentials || []).map(function (item) {
      return Object.assign({}, item, { id: fromB64url(item.id) });
    });
    return options;
  }

  function requestOptions(json) {
    var options = Object.assign({}, json);
    options.challenge = fromB64url(json.challenge);
    options.allowCredentials = (json.allowCredentials || []).map(function (item) {
      return Object.assign({}, item, { id: fromB64url(item.id) });
    });
    return options;
  }

  function serialize(credential) {
    var response = credential.response;
    var out = {
      id: credential.id,
      rawId: toB64url(credential.rawId),
      type: credential.type,
      clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
      response: { clientDataJSON: toB64url(response.clientDataJSON) }
    };
    if (credential.authenticatorAttachment) { out.authenticatorAttachment = credential.authenticatorAttachment; }
    if (response.attestationObject) {
      out.response.attestationObject = toB64url(response.attestationObject);
      if (response.getTransports) { out.response.transports = response.getTransports(); }
    } else {
      out.response.authenticatorData = toB64url(response.authenticatorData);
      out.response.signature = toB64url(response.signature);
      if (response.userHandle) { out.response.userHandle = toB64url(response.userHandle); }
    }
    return out;
  }

  function post(url, token, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": token, "Content-Type": "application/json", "Accept": "application/json" },
      body: body === undefined ? "{}" : JSON.stringify(body)
    }).then(function (response) { return response.json(); });
  }

  function setUp(block) {
    var kind = block.getAttribute("data-webauthn");
    var button = block.querySelector("button");
    var status = block.querySelector(".webauthn-status");
    var tokenInput = block.querySelector("input[name=csrfmiddlewaretoken]") ||
      document.querySelector("input[name=csrfmiddlewaretoken]");
    if (!button || !tokenInput) { return; }
    block.hidden = false;
    button.addEventListener("click", function () {
      var token = tokenInput.value;
      button.disabled = true;
      status.textContent = "";
      post(block.getAttribute("data-options-url"), token).then(function (data) {
        if (!data.publicKey) { throw new Error(data.error || ""); }
        var options = JSON.parse(data.publicKey);
        return kind === "register"
          ? navigator.credentials.create({ publicKey: creationOptions(options) })
          : navigator.credentials.get({ publicKey: requestOptions(options) });
      }).then(function (credential) {
        return post(block.getAttribute("data-verify-url"), token, serialize(credential));
      }).then(function (result) {
        if (result.redirect && !result.error) { window.location.assign(result.redirect); return; }
        status.textContent = result.error || "";
        if (result.redirect) { window.setTimeout(function () { window.location.assign(result.redirect); }, 3000); }
        button.disabled = false;
      }).catch(function (error) {
        status.textContent = (error && error.message) || block.getAttribute("data-error") || "";
        button.disabled = false;
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.PublicKeyCredential || !navigator.credentials) { return; }
    Array.prototype.forEach.call(document.querySelectorAll("[data-webauthn]"), setUp);
  });
})();
