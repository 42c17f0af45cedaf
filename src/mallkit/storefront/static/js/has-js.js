// Lets the stylesheet hide what only a page without JavaScript needs (loaded in <head>, before paint).
document.documentElement.classList.add("js");
