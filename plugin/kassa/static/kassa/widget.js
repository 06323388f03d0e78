/*
 * Kassa payment options widget: a short, accessible summary of the invoice and instalment
 * offers for a price, for product and cart pages. No dependencies, nothing preselected, no
 * personal data: it only reads the public offers endpoint.
 *
 *   <div data-kassa-widget data-amount="124990" data-currency="EUR" data-country="FI"
 *        data-locale="fi"></div>
 *   <script src="/kassa/static/widget.js" data-api="/kassa/api/v1" defer></script>
 *
 * data-amount is in minor units (cents). Money is formatted with Intl.NumberFormat in the
 * widget's locale; the few words come from the built-in table below (fi, sv, nb, en).
 * If the offers cannot be loaded the widget stays empty: the shop's page works without it.
 * Call window.KassaWidget.render(element) for widgets added to the page later.
 */
(function () {
  "use strict";

  var TEXT = {
    en: {
      heading: "Pay by invoice or in instalments",
      from: "From %s/month",
      invoice: "Invoice",
      months: "%d months",
      monthly: "%s/month",
      apr: "APR %s",
      total: "total %s",
      choose: "You choose how to pay at checkout.",
      unavailable: "Invoice and instalments are not available for this purchase."
    },
    fi: {
      heading: "Maksa laskulla tai osamaksulla",
      from: "Alkaen %s/kk",
      invoice: "Lasku",
      months: "%d kk",
      monthly: "%s/kk",
      apr: "todellinen vuosikorko %s",
      total: "yhteensä %s",
      choose: "Valitset maksutavan kassalla.",
      unavailable: "Lasku ja osamaksu eivät ole käytettävissä tälle ostokselle."
    },
    sv: {
      heading: "Betala med faktura eller delbetalning",
      from: "Från %s/mån",
      invoice: "Faktura",
      months: "%d månader",
      monthly: "%s/mån",
      apr: "effektiv ränta %s",
      total: "totalt %s",
      choose: "Du väljer betalsätt i kassan.",
      unavailable: "Faktura och delbetalning är inte tillgängligt för detta köp."
    },
    nb: {
      heading: "Betal med faktura eller delbetaling",
      from: "Fra %s/mnd",
      invoice: "Faktura",
      months: "%d måneder",
      monthly: "%s/mnd",
      apr: "effektiv rente %s",
      total: "totalt %s",
      choose: "Du velger betalingsmåte i kassen.",
      unavailable: "Faktura og delbetaling er ikke tilgjengelig for dette kjøpet."
    }
  };
  var STYLE =
    ".kassa-widget{border:1px solid #d1d5db;border-radius:.5rem;padding:.75rem 1rem;" +
    "margin:.5rem 0;font:inherit;line-height:1.4}" +
    ".kassa-widget h2{font-size:1rem;margin:0 0 .25rem}" +
    ".kassa-widget-summary{font-weight:700;margin:0 0 .25rem}" +
    ".kassa-widget ul{list-style:none;margin:0;padding:0}" +
    ".kassa-widget li{margin:.15rem 0}" +
    ".kassa-widget-note{font-size:.9em;margin:.25rem 0 0;opacity:.85}";

  var script = document.currentScript;
  var api = (script && script.getAttribute("data-api")) ||
    (script ? script.src.replace(/\/static\/widget\.js(\?.*)?$/, "/api/v1") : "");

  function language(tag) {
    var primary = String(tag || "").toLowerCase().split(/[-_]/)[0];
    if (primary === "no" || primary === "nn") return "nb";
    return TEXT[primary] ? primary : "en";
  }

  function fill(template, value) {
    return template.replace(/%[sd]/, value);
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

  function formatters(lang, country, currency) {
    var tag = lang + "-" + country;
    var money = new Intl.NumberFormat(tag, { style: "currency", currency: currency });
    var digits = money.resolvedOptions().maximumFractionDigits;
    var percent = new Intl.NumberFormat(tag, {
      style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1
    });
    return {
      money: function (minor) { return money.format(minor / Math.pow(10, digits)); },
      // APR arrives as a percent string such as "14.3"; Intl's percent style wants 0.143.
      percent: function (text) { return percent.format(Number(text) / 100); }
    };
  }

  function draw(container, data, lang, country) {
    var words = TEXT[lang];
    var format = formatters(lang, country, data.currency);
    var offers = data.offers || [];
    container.textContent = "";
    container.removeAttribute("aria-busy");
    if (!offers.length) {
      container.appendChild(element("p", "kassa-widget-note", words.unavailable));
      return;
    }
    var box = element("section", "kassa-widget");
    var headingId = "kassa-widget-" + Math.random().toString(36).slice(2);
    var heading = element("h2", "", words.heading);
    heading.id = headingId;
    box.setAttribute("aria-labelledby", headingId);
    box.setAttribute("lang", lang);
    box.appendChild(heading);

    var instalments = offers.filter(function (o) { return o.method === "installments"; });
    if (instalments.length) {
      var lowest = Math.min.apply(null, instalments.map(function (o) { return o.monthly_amount; }));
      box.appendChild(element("p", "kassa-widget-summary", fill(words.from, format.money(lowest))));
    }
    var list = element("ul");
    offers.forEach(function (offer) {
      var name = offer.method === "invoice" ? words.invoice
        : fill(words.months, offer.months) + ", " + fill(words.monthly, format.money(offer.monthly_amount));
      var item = element("li", "", name + " · " + fill(words.apr, format.percent(offer.apr)) +
        " · " + fill(words.total, format.money(offer.total_payable)));
      item.setAttribute("data-offer", offer.id);
      list.appendChild(item);
    });
    box.appendChild(list);
    box.appendChild(element("p", "kassa-widget-note", words.choose));
    container.appendChild(box);
  }

  function render(container) {
    var lang = language(container.getAttribute("data-locale") ||
      document.documentElement.getAttribute("lang"));
    var country = String(container.getAttribute("data-country") || "").toUpperCase();
    var currency = String(container.getAttribute("data-currency") || "").toUpperCase();
    var query = new URLSearchParams({
      amount: container.getAttribute("data-amount") || "",
      currency: currency, country: country, lang: lang
    });
    container.setAttribute("aria-busy", "true");
    container.setAttribute("aria-live", "polite");
    return fetch(api + "/offers?" + query.toString(), { headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("offers: HTTP " + response.status);
        return response.json();
      })
      .then(function (data) { draw(container, data, lang, country); })
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
