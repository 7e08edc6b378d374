// The box over a searched photo (templates/storefront/photo_results.html): the part of the
// photo that matters. Drawn by dragging over the photo and moved by dragging it (mouse, pen
// or finger: pointer events); with the keyboard, on the box, arrow keys move it, Shift+arrow
// keys resize it, Enter searches and Escape clears it. It only fills in the form's four edge
// inputs (percent of the photo's width and height), which work without this script too.
(function () {
  "use strict";

  var EDGES = ["left", "top", "right", "bottom"];
  var STEP = 2; // percent a key press moves or resizes the box
  var MIN_SIDE = 4; // percent: smaller boxes are slips (the shop refuses under 2)
  var WHOLE = { left: 0, top: 0, right: 100, bottom: 100 };

  function clamp(value, low, high) {
    return Math.min(high, Math.max(low, value));
  }

  function BoxEditor(frame) {
    this.form = document.getElementById(frame.dataset.boxForm);
    this.image = frame.querySelector("img");
    this.box = frame.querySelector(".box");
    this.inputs = EDGES.map(function (name) {
      return this.form.elements[name];
    }, this);
    this.drag = null;
    this.edges = this.read();
    this.image.draggable = false;
    frame.addEventListener("pointerdown", this.start.bind(this));
    frame.addEventListener("pointermove", this.move.bind(this));
    frame.addEventListener("pointerup", this.end.bind(this));
    frame.addEventListener("pointercancel", this.end.bind(this));
    this.box.addEventListener("keydown", this.key.bind(this));
    this.inputs.forEach(function (input) {
      input.addEventListener("input", this.typed.bind(this));
    }, this);
    this.box.hidden = false;
    this.show();
  }

  // The edges in the inputs ({left, top, right, bottom} in percent), or null for none.
  BoxEditor.prototype.read = function () {
    var values = this.inputs.map(function (input) {
      return input.value === "" ? NaN : Number(input.value);
    });
    if (values.some(isNaN)) {
      return null;
    }
    return { left: values[0], top: values[1], right: values[2], bottom: values[3] };
  };

  BoxEditor.prototype.typed = function () {
    this.edges = this.read();
    this.show();
  };

  // Set the box (null: the whole photo, no box), to a tenth of a percent, in the inputs and
  // on the photo.
  BoxEditor.prototype.set = function (edges) {
    this.edges = edges && {
      left: Math.round(edges.left * 10) / 10,
      top: Math.round(edges.top * 10) / 10,
      right: Math.round(edges.right * 10) / 10,
      bottom: Math.round(edges.bottom * 10) / 10,
    };
    this.inputs.forEach(function (input, i) {
      input.value = this.edges ? String(this.edges[EDGES[i]]) : "";
    }, this);
    this.show();
  };

  BoxEditor.prototype.show = function () {
    var edges = this.edges || WHOLE;
    var style = this.box.style;
    style.left = edges.left + "%";
    style.top = edges.top + "%";
    style.width = edges.right - edges.left + "%";
    style.height = edges.bottom - edges.top + "%";
    this.box.classList.toggle("whole", !this.edges);
    this.box.setAttribute(
      "aria-label",
      this.edges
        ? "Part of the photo searched: left " + edges.left + "%, top " + edges.top +
            "%, right " + edges.right + "%, bottom " + edges.bottom + "%"
        : "Part of the photo searched: the whole photo"
    );
  };

  // Where a pointer event is, in percent of the photo ({x, y}, clamped to it).
  BoxEditor.prototype.point = function (event) {
    var rect = this.image.getBoundingClientRect();
    return {
      x: clamp(((event.clientX - rect.left) / rect.width) * 100, 0, 100),
      y: clamp(((event.clientY - rect.top) / rect.height) * 100, 0, 100),
    };
  };

  BoxEditor.prototype.start = function (event) {
    if (event.button !== 0) {
      return;
    }
    var at = this.point(event);
    var edges = this.edges;
    var inside =
      edges && at.x > edges.left && at.x < edges.right && at.y > edges.top && at.y < edges.bottom;
    this.drag = { from: at, before: edges, moving: Boolean(inside) };
    event.currentTarget.setPointerCapture(event.pointerId);
    this.box.focus({ preventScroll: true });
    event.preventDefault();
  };

  BoxEditor.prototype.move = function (event) {
    if (!this.drag) {
      return;
    }
    var at = this.point(event);
    var from = this.drag.from;
    if (this.drag.moving) {
      this.set(this.shifted(this.drag.before, at.x - from.x, at.y - from.y));
    } else {
      this.set({
        left: Math.min(from.x, at.x),
        top: Math.min(from.y, at.y),
        right: Math.max(from.x, at.x),
        bottom: Math.max(from.y, at.y),
      });
    }
  };

  BoxEditor.prototype.end = function (event) {
    if (!this.drag) {
      return;
    }
    this.move(event);
    var edges = this.edges;
    if (edges && (edges.right - edges.left < MIN_SIDE || edges.bottom - edges.top < MIN_SIDE)) {
      this.set(this.drag.before); // a tap, not a box
    }
    this.drag = null;
  };

  // The box moved by (dx, dy) percent, kept inside the photo.
  BoxEditor.prototype.shifted = function (edges, dx, dy) {
    dx = clamp(dx, -edges.left, 100 - edges.right);
    dy = clamp(dy, -edges.top, 100 - edges.bottom);
    return {
      left: edges.left + dx,
      top: edges.top + dy,
      right: edges.right + dx,
      bottom: edges.bottom + dy,
    };
  };

  // The box with its right and bottom edges moved by (dx, dy) percent, within the photo.
  BoxEditor.prototype.resized = function (edges, dx, dy) {
    return {
      left: edges.left,
      top: edges.top,
      right: clamp(edges.right + dx, edges.left + MIN_SIDE, 100),
      bottom: clamp(edges.bottom + dy, edges.top + MIN_SIDE, 100),
    };
  };

  var ARROWS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };

  BoxEditor.prototype.key = function (event) {
    if (event.key === "Enter") {
      this.form.requestSubmit();
    } else if (event.key === "Escape") {
      this.set(null);
    } else if (ARROWS[event.key]) {
      var dx = ARROWS[event.key][0] * STEP;
      var dy = ARROWS[event.key][1] * STEP;
      var edges = this.edges || WHOLE;
      this.set(event.shiftKey ? this.resized(edges, dx, dy) : this.shifted(edges, dx, dy));
    } else {
      return;
    }
    event.preventDefault();
  };

  document.querySelectorAll("[data-box-form]").forEach(function (frame) {
    return new BoxEditor(frame);
  });
})();
