"""Renders one of switchyard's salt templates (.sls or a file.managed source)
the way salt's jinja renderer does, for tests on a machine without salt.

stdin: JSON {"root": salt file root, "template": path under it,
             "pillars": [pillar dicts, merged in order as salt merges pillar
                         sources: dicts recursively, anything else replaced],
             "grains": {...}, "context": {... a file.managed state's context}}
stdout: the rendered text. A template's raise() exits 1 with its message.

The environment has what salt's gives templates and what switchyard's use:
the names salt, pillar, grains, opts, saltenv (and sls for a state file),
salt['pillar.get'] with merge, the do and loopcontrols extensions, and
salt's regex_match and json filters and raise() global.
"""
import json
import re
import sys

import jinja2


def merge(base, over):
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            out[key] = merge(base[key], value) if key in base else value
        return out
    return over


def main():
    job = json.load(sys.stdin)
    pillar = {}
    for source in job["pillars"]:
        pillar = merge(pillar, source)

    def pillar_get(key, default="", merge=False, delimiter=":"):
        value = pillar
        for part in key.split(delimiter):
            if not isinstance(value, dict) or part not in value:
                return default
            value = value[part]
        return globals()["merge"](default, value) if merge and isinstance(default, dict) else value

    def jinja_raise(message):
        raise jinja2.TemplateError(message)

    def regex_match(text, pattern, ignorecase=False, multiline=False):
        flags = (re.I if ignorecase else 0) | (re.M if multiline else 0)
        found = re.match(pattern, text, flags)
        return found.groups() if found else None

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(job["root"]),
        extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols"],
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["regex_match"] = regex_match
    env.filters["json"] = lambda value: json.dumps(value)
    env.globals["raise"] = jinja_raise
    template = job["template"]
    names = {
        "salt": {"pillar.get": pillar_get},
        "pillar": pillar,
        "grains": job.get("grains", {}),
        "opts": {},
        "saltenv": "base",
    }
    if template.endswith(".sls"):
        names["sls"] = template[: -len(".sls")].replace("/", ".")
    try:
        sys.stdout.write(env.get_template(template).render(**names, **job.get("context", {})))
    except jinja2.TemplateError as err:
        sys.stderr.write(f"{template}: {err}\n")
        sys.exit(1)


main()
