// The console's only script: copy buttons. Every page works without it.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.querySelector(button.dataset.copy);
  if (!source || !navigator.clipboard) return;
  navigator.clipboard.writeText(source.dataset.token || source.textContent).then(() => {
    button.textContent = "Copied";
  });
});
