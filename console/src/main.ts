// Console entry point.
import "./components/qujat-app/qujat-app.js";
