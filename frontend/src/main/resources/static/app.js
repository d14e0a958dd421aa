// Shows the service health on the landing page; the full UI (upload, jobs, reports) builds on the same public API.
(async () => {
  const el = document.getElementById('health');
  try {
    const res = await fetch('/actuator/health');
    const body = await res.json();
    el.textContent = `Service is ${body.status}.`;
  } catch (e) {
    el.textContent = 'Service health could not be read.';
  }
})();
