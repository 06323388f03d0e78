/*
 * Kassa payment options widget: a short, accessible summary of the invoice and instalment
 * offers for a price, for product and cart pages. No dependencies, nothing preselected, no
 * personal data: it only reads Kassa's public widget texts.
 *
 *   <div data-kassa-widget data-amount="124990" data-currency="EUR" data-country="FI"
 *        data-locale="fi"></div>
 *   <script src="/kassa/static/widget.js" data-api="/kassa/api/v1" defer></script>
 *
 * data-amount is in minor units (cents). Every word and figure comes from Kassa
 * ({prefix}/checkout/widget.json), in the widget's language (data-locale, else the page's
 * lang): translated from Kassa's catalogs with real plural forms, money formatted by Babel.
 * An offer that is consumer credit comes with its representative example, and the box with
 * the warning that borrowing money costs money.
 * If the texts cannot be loaded the widget stays empty: the shop's page works without it.
 * Call window.KassaWidget.render(element) for widgets added to the page later.
 */
(function () {
  "use strict";

  var STYLE =
    ".kassa-widget{border:1px solid #d1d5db;border-radius:.5rem;padding:.75rem 1rem;" +
    "margin:.5rem 0;font:inherit;line-height:1.4}" +
    ".kassa-widget h2{font-size:1rem;margin:0 0 .25rem}" +
    ".kassa-widget-summary{font-weight:700;margin:0 0 .25rem}" +
    ".kassa-widget ul{list-style:none;margin:0;padding:0}" +
    ".kassa-widget li{margin:.15rem 0}" +
    ".kassa-widget-example{display:block;font-size:.85em;margin:.1rem 0 .3rem}" +
    ".kassa-widget-warning{font-weight:700;margin:.25rem 0}" +
    ".kassa-widget-note{font-size:.9em;margin:.25rem 0 0;opacity:.85}";

  var script = document.currentScript;
  // Kassa's mount point: from data-api ("/kassa/api/v1"), else from this script's own URL.
  var api = script && script.getAttribute("data-api");
  var root = api ? api.replace(/\/api\/v1\/?$/, "") :
    (script ? script.src.replace(/\/static\/widget\.js(\?.*)?$/, "") : "");

  function language(tag) {
    var primary = String(tag || "").toLowerCase().split(/[-_]/)[0];
    if (primary === "no" || primary === "nn") return "nb";
    return ["fi", "sv", "nb", "en"].indexOf(primary) >= 0 ? primary : "en";
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function addStyle() {
    if (document.getElementById("kassa-widget-style")) return;
    var style = element("style");
    style.id = "kassa-widget-style";
    style.textContent = STYLE;
    (document.head || document.documentElement).appendChild(style);
  }

  function draw(container, texts) {
    var offers = texts.offers || [];
    container.textContent = "";
    container.removeAttribute("aria-busy");
    if (!offers.length) {
      var note = element("p", "kassa-widget-note", texts.note);
      note.setAttribute("lang", texts.lang);
      container.appendChild(note);
      return;
    }
    var box = element("section", "kassa-widget");
    var headingId = "kassa-widget-" + Math.random().toString(36).slice(2);
    var heading = element("h2", "", texts.heading);
    heading.id = headingId;
    box.setAttribute("aria-labelledby", headingId);
    box.setAttribute("lang", texts.lang);
    box.appendChild(heading);
    if (texts.summary) box.appendChild(element("p", "kassa-widget-summary", texts.summary));
    // Borrowing money costs money: shown with every advert of credit, as the law asks.
    if (texts.warning) box.appendChild(element("p", "kassa-widget-warning", texts.warning));
    var list = element("ul");
    offers.forEach(function (offer) {
      var item = element("li", "", offer.text);
      item.setAttribute("data-offer", offer.id);
      // The representative example of an offer that is credit (EU consumer credit law).
      if (offer.example) item.appendChild(element("span", "kassa-widget-example", offer.example));
      list.appendChild(item);
    });
    box.appendChild(list);
    box.appendChild(element("p", "kassa-widget-note", texts.note));
    container.appendChild(box);
  }

  function render(container) {
    var lang = language(container.getAttribute("data-locale") ||
      document.documentElement.getAttribute("lang"));
    var query = new URLSearchParams({
      amount: container.getAttribute("data-amount") || "",
      currency: String(container.getAttribute("data-currency") || "").toUpperCase(),
      country: String(container.getAttribute("data-country") || "").toUpperCase(),
      lang: lang
    });
    container.setAttribute("aria-busy", "true");
    container.setAttribute("aria-live", "polite");
    return fetch(root + "/checkout/widget.json?" + query.toString(),
                 { headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("widget texts: HTTP " + response.status);
        return response.json();
      })
      .then(function (texts) { draw(container, texts); })
      .catch(function () {
        container.removeAttribute("aria-busy");
        container.textContent = "";
      });
  }

  function renderAll() {
    addStyle();
    var containers = document.querySelectorAll("[data-kassa-widget]");
    Array.prototype.forEach.call(containers, render);
  }

  window.KassaWidget = { render: function (container) { addStyle(); return render(container); } };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", renderAll);
  } else {
    renderAll();
  }
})();
