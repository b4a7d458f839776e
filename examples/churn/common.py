"""Small helpers shared by prepare.py, train.py, predict.py and serve.py (stdlib only)."""

import csv
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def die(msg):
    sys.stderr.write("error: %s\n" % msg)
    sys.exit(1)


def _scalar(text):
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    return text


def load_params(path=None):
    """Parse the tiny two-level params.yaml by hand.

    Supports only: comments, blank lines, `section:` at column 0 and
    indented `key: value` scalars below it. Returns {section: {key: value}}.
    If path is None, look for params.yaml in the current directory, then
    next to this file.
    """
    if path is None:
        candidates = [os.path.join(os.getcwd(), "params.yaml"),
                      os.path.join(HERE, "params.yaml")]
        path = next((p for p in candidates if os.path.isfile(p)), None)
        if path is None:
            die("params.yaml not found (looked in %s)" % ", ".join(candidates))
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except OSError as exc:
        die("cannot read %s: %s" % (path, exc))
    params, section = {}, None
    for lineno, raw in enumerate(lines, 1):
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        if ":" not in line:
            die("%s:%d: expected 'key: value'" % (path, lineno))
        key, value = line.split(":", 1)
        indented = line[0] in " \t"
        key = key.strip()
        if not indented:
            if value.strip():
                params[key] = _scalar(value)
                section = None
            else:
                section = params.setdefault(key, {})
        else:
            if section is None:
                die("%s:%d: indented key outside a section" % (path, lineno))
            section[key] = _scalar(value)
    return params


def section(params, name, required):
    sec = params.get(name)
    if not isinstance(sec, dict):
        die("params.yaml: missing section '%s'" % name)
    for key in required:
        if key not in sec:
            die("params.yaml: missing %s.%s" % (name, key))
    return sec


def read_csv(path):
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))
    except OSError as exc:
        die("cannot read %s: %s" % (path, exc))


def write_csv(path, header, rows):
    parent = os.path.dirname(path)
    if parent:
        os.makedirs(parent, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


# --- feature encoding (shared by train.py, predict.py and serve.py) ---------

REGIONS = ["north", "south", "east", "west"]
FEATURES = (["tenure_months", "monthly_charges", "support_calls", "contract=year"]
            + ["region=" + r for r in REGIONS])


def features(row):
    """Raw row (dict of strings or numbers) -> list of floats in FEATURES order.

    Raises ValueError naming what is wrong; encode() is the same for scripts that stop on a bad row.
    """
    try:
        region = row["region"]
        if region not in REGIONS:
            raise ValueError("unknown region %r" % region)
        contract = row["contract"]
        if contract not in ("month", "year"):
            raise ValueError("unknown contract %r" % contract)
        return ([float(row["tenure_months"]), float(row["monthly_charges"]),
                 float(row["support_calls"]), 1.0 if contract == "year" else 0.0]
                + [1.0 if region == r else 0.0 for r in REGIONS])
    except KeyError as exc:
        raise ValueError("missing column %s" % exc)
    except TypeError as exc:
        raise ValueError(str(exc))


def encode(row):
    """features(row), or stop the script on a bad row."""
    try:
        return features(row)
    except ValueError as exc:
        die("bad row id=%s: %s" % (row.get("id", "?"), exc))


def label_of(row):
    try:
        y = int(row["label"])
    except (KeyError, ValueError):
        y = -1
    if y not in (0, 1):
        die("bad label in row id=%s" % row.get("id", "?"))
    return y
