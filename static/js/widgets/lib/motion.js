// Reduced motion: widgets skip their animations when the reader has asked the system for less motion.

const query = window.matchMedia("(prefers-reduced-motion: reduce)");

/** Whether to skip animations now. */
export const reducedMotion = () => query.matches;

/** Calls `fn` when the reader changes the setting. */
export const onMotionChange = (fn) => query.addEventListener("change", fn);
