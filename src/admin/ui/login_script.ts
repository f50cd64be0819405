/**
 * Browser code of the sign-in page: trade the token for a session cookie (`POST /login`), then
 * go to the panel. The token is sent once and never stored by the page.
 *
 * @module
 */

/** The sign-in page's browser code. */
export const SIGNIN_SCRIPT: string = String.raw`
function start() {
  applyI18n(document);
  bindLanguagePicker();
  var form = document.getElementById("signin-form");
  var input = document.getElementById("token");
  var message = document.getElementById("signin-error");
  input.focus();
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    message.hidden = true;
    api("/login", { method: "POST", json: { token: input.value } }).then(function () {
      window.location.replace("/");
    }, function (error) {
      message.textContent = error.status === 401 ? t("signin.wrong") : error.message;
      message.hidden = false;
      input.select();
    });
  });
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
`;
