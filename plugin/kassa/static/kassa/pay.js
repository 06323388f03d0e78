/* Kassa "pay now": a Stripe card Element that pays the invoice's PaymentIntent.
 *
 * The page (templates/kassa/payments/pay.html) renders the form with its data: the
 * publishable key, the intent's client secret, the flow, the URLs and the messages (already
 * translated). Stripe.js is loaded just before this file.
 *
 * data-flow="client" (Stripe): stripe.confirmCardPayment(clientSecret, {card}) confirms in
 * the browser, 3-D Secure included.
 * data-flow="server" (a stand-in such as localstripe, whose fake Stripe.js cannot confirm
 * with an Element): make a card token, let Kassa attach it and confirm
 * (POST data-confirm-url), then run 3-D Secure with confirmCardPayment(clientSecret) if
 * the intent asks for it.
 * Either way the browser then goes to data-done-url; the webhook books the payment.
 */
(function () {
  "use strict";

  var form = document.getElementById("kassa-pay-form");
  if (!form) {
    return;
  }
  var button = document.getElementById("kassa-pay-button");
  var message = document.getElementById("kassa-pay-message");
  var data = form.dataset;

  function say(text, isError) {
    message.textContent = text || "";
    message.classList.toggle("kassa-pay-message-error", Boolean(isError));
  }

  if (typeof window.Stripe !== "function") {
    say(data.msgUnloaded, true);
    return;
  }

  var stripe = window.Stripe(data.publishableKey, { locale: data.locale });
  var elements = stripe.elements({ locale: data.locale });
  var card = elements.create("card", {
    style: { base: { fontSize: "16px" } }
  });
  card.mount("#kassa-card");
  button.disabled = false;

  function errorOf(result) {
    if (result && result.error) {
      return result.error.message || data.msgFailed;
    }
    return null;
  }

  async function confirmInBrowser() {
    return stripe.confirmCardPayment(data.clientSecret, {
      payment_method: { card: card, billing_details: { name: data.name } }
    });
  }

  async function confirmOnServer() {
    var made = await stripe.createToken(card);
    if (errorOf(made)) {
      return made;
    }
    var headers = { "Content-Type": "application/json", "Accept": "application/json" };
    if (data.csrf) {
      headers["X-CSRFToken"] = data.csrf;
    }
    var response = await fetch(data.confirmUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: headers,
      body: JSON.stringify({ card_token: made.token.id })
    });
    var body = await response.json().catch(function () { return {}; });
    if (!response.ok) {
      return { error: { message: body.message || data.msgFailed } };
    }
    if (body.status === "requires_action") {
      return stripe.confirmCardPayment(body.client_secret);
    }
    return {};
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    if (button.disabled) {
      return;
    }
    button.disabled = true;
    say(data.msgWorking, false);
    var problem;
    try {
      var result = data.flow === "server" ? await confirmOnServer() : await confirmInBrowser();
      problem = errorOf(result);
    } catch (err) {
      problem = data.msgFailed;
    }
    if (problem) {
      say(problem, true);
      button.disabled = false;
      return;
    }
    window.location.assign(data.doneUrl);
  });
})();
