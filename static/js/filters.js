// The search grid's filters apply as soon as one changes (a select, the sort, a price left),
// without the Apply button, which stays for visitors without JavaScript. Blank fields are not
// sent, so the URL holds only the filters in use.
"use strict";
document.querySelectorAll("form[data-apply-on-change]").forEach((form) => {
  form.addEventListener("submit", () => {
    form.querySelectorAll("input, select").forEach((field) => {
      if (field.name && field.value === "") field.disabled = true;
    });
  });
  form.addEventListener("change", (event) => {
    if (event.target.matches("select, input[type=number]")) form.requestSubmit();
  });
});
