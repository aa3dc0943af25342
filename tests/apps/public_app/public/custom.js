// Served at /public/custom.js and loaded by every page (custom_js).
window.publicAppLoaded = true;
