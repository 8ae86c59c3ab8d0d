"""Statistics, the table (text and Markdown) and results.json of a benchmark run."""
import json
import statistics


def stats(values):
    """median, min, max and the quartiles (None where fewer than 2 values)."""
    if not values:
        return None
    s = {"median": statistics.median(values), "min": min(values), "max": max(values),
         "n": len(values), "q1": None, "q3": None}
    if len(values) >= 2:
        q = statistics.quantiles(values, n=4, method="inclusive")
        s["q1"], s["q3"] = q[0], q[2]
    return s


def scaled(value, unit):
    """(number, display unit) in a readable unit."""
    if unit == "ns":
        for limit, div, name in ((1e9, 1e9, "s"), (1e6, 1e6, "ms"), (1e3, 1e3, "µs")):
            if abs(value) >= limit:
                return value / div, name
        return value, "ns"
    return value, unit


def fmt(value, digits=3):
    return "%.*g" % (digits, value) if abs(value) < 10 ** digits else "%.0f" % value


def cell_text(cell, unit):
    s = cell["stats"]
    if s is None:
        return None
    median, shown = scaled(s["median"], unit)
    factor = median / s["median"] if s["median"] else 1
    text = "%s %s" % (fmt(median), shown)
    if s["n"] > 1:
        text += " (%s–%s)" % (fmt(s["min"] * factor), fmt(s["max"] * factor))
    return text


class Notes:
    """Footnote letters for the reasons cells give instead of numbers."""

    def __init__(self):
        self.reasons = {}

    def mark(self, system, reason):
        key = "%s: %s" % (system, reason)
        if key not in self.reasons:
            self.reasons[key] = "abcdefghijklmnopqrstuvwxyz"[len(self.reasons) % 26] + \
                ("" if len(self.reasons) < 26 else str(len(self.reasons) // 26))
        return self.reasons[key]

    def lines(self):
        return ["(%s) %s" % (letter, key) for key, letter in self.reasons.items()]


def table_cells(results, notes):
    """[(row name, unit, [cell text per system], [ratio text])] for the table."""
    rows = []
    for row in results["rows"]:
        texts = []
        for system in results["systems"]:
            cell = row["cells"][system]
            text = cell_text(cell, row["unit"])
            if cell["absent"]:
                kind = cell["absent"].split(":")[0]
                text = "%s (%s)" % (kind, notes.mark(system, cell["absent"]))
            elif text is None:
                text = "failed (%s)" % notes.mark(system, "failed: " + cell["errors"][0])
            elif cell["errors"]:
                text += " %d/%d (%s)" % (cell["stats"]["n"], cell["stats"]["n"] +
                                         len(cell["errors"]),
                                         notes.mark(system, "failed: " + cell["errors"][0]))
            texts.append(text)
        ratios = ["%.2f" % r if r is not None else "–" for r in row["ratios"].values()]
        rows.append((row["name"], row["unit"], texts, ratios))
    return rows


def text_table(results):
    notes = Notes()
    rows = table_cells(results, notes)
    head = ["metric"] + list(results["systems"]) + list(results["ratio_names"])
    body = [[name] + texts + ratios for name, _, texts, ratios in rows]
    widths = [max(len(r[i]) for r in [head] + body) for i in range(len(head))]
    out = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in [head] + body]
    return "\n".join(out + [""] + notes.lines())


def markdown_table(results):
    notes = Notes()
    rows = table_cells(results, notes)
    head = ["metric"] + list(results["systems"]) + list(results["ratio_names"])
    out = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for name, _, texts, ratios in rows:
        out.append("| " + " | ".join(["`%s`" % name] + texts + ratios) + " |")
    notes_lines = notes.lines()
    if notes_lines:
        out += [""] + ["- " + n for n in notes_lines]
    return "\n".join(out) + "\n"


def build_rows(metric_list, system_names, absent, values, errors, ratio_pairs):
    """The rows of results.json. values/errors: {(metric, system): [...]}; absent:
    {(metric, system): reason} for cells whose system cannot run the workload."""
    rows = []
    for workload, metric in metric_list:
        cells = {}
        for system in system_names:
            key = (metric.name, system)
            vals = values.get(key, [])
            cells[system] = {"values": vals, "stats": stats(vals),
                             "errors": errors.get(key, []), "absent": absent.get(key)}
        ratios = {}
        for num, den in ratio_pairs:
            a, b = cells.get(num), cells.get(den)
            ok = a and b and a["stats"] and b["stats"] and b["stats"]["median"]
            ratios["%s/%s" % (num, den)] = (a["stats"]["median"] / b["stats"]["median"]
                                            if ok else None)
        rows.append({"name": metric.name, "workload": workload.name, "unit": metric.unit,
                     "what": metric.what, "better": metric.better, "cells": cells,
                     "ratios": ratios})
    return rows


def write_json(path, results):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
