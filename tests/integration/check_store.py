#!/usr/bin/python3
"""check_store: consistency checker of a lendlab tracking store (MLflow FileStore layout plus the
registry's history.jsonl), used by t_faults.sh after every kill -9 and disk-full failure.

usage: check_store.py LENDLAB STORE [--no-running] [--settled]

Exits 0 when the store is consistent, 1 listing every problem otherwise. --no-running also
requires that no run reports RUNNING (every lendlab process that wrote the store is gone, so an
unfinished run must show as DIED). --settled checks a registry whose last change completed
(the next change finishes or undoes one a crash interrupted): no pending change record, every
version recorded by a register line of the history, no version left in stage Production or
Staging while another version holds that alias, and no temporary entries left anywhere.
"""
import json
import os
import re
import subprocess
import sys

import yaml

problems = []
SETTLED = False
# temporary entries of killed writers that MLflow's readers never open (a dot name beside
# experiment, run or version directories); the next writer there removes them
pending_tmp = []
# those of them that the next train or registry change removes (the store root, models/NAME/);
# a run's leftovers in an experiment go when the next run of that experiment begins
swept_tmp = []
pending_changes = []
TMP_RE = re.compile(r"^\.[^/]+\.[0-9]+\.[0-9a-f]+\.tmp$")


def bad(msg):
    problems.append(msg)


def is_temp(name):
    """Names lendlab's writers use for files and directories that are not committed yet."""
    return name.startswith(".") or name.endswith(".tmp") or ".tmp." in name


def load_yaml(path, required):
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        bad("%s: cannot read: %s" % (path, e))
        return None
    try:
        d = yaml.safe_load(raw)
    except yaml.YAMLError as e:
        bad("%s: does not parse: %s" % (path, str(e).splitlines()[0]))
        return None
    if not isinstance(d, dict):
        bad("%s: not a mapping (%d bytes)" % (path, len(raw)))
        return None
    for k in required:
        if k not in d:
            bad("%s: lacks key %r (half-written?)" % (path, k))
    return d


def cli(lendlab, store, *args):
    p = subprocess.run([lendlab, "--store", store, "--batch"] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    what = "lendlab " + " ".join(args)
    if p.returncode != 0:
        bad("%s exited %d: %s" % (what, p.returncode, p.stderr.decode(errors="replace").strip()))
        return None
    try:
        return json.loads(p.stdout)
    except ValueError as e:
        bad("%s printed invalid JSON: %s" % (what, e))
        return None


def no_temp_files(d, what):
    for root, dirs, files in os.walk(d):
        for n in dirs + files:
            if is_temp(n):
                bad("stray temporary %s in %s: %s" % (what, root, n))


RUN_KEYS = ["artifact_uri", "experiment_id", "lifecycle_stage", "run_id", "start_time", "status",
            "user_id"]
EXP_KEYS = ["artifact_location", "experiment_id", "lifecycle_stage", "name"]
RESERVED = {"tags", "datasets", "traces", "meta.yaml"}


def check_run(rdir, rid, exp_id):
    meta = os.path.join(rdir, "meta.yaml")
    if not os.path.exists(meta):
        bad("run directory without meta.yaml: %s" % rdir)
        return
    m = load_yaml(meta, RUN_KEYS)
    if m is None:
        return
    if m.get("run_id") != rid:
        bad("%s: run_id %r differs from its directory" % (meta, m.get("run_id")))
    if str(m.get("experiment_id")) != exp_id:
        bad("%s: experiment_id %r differs from its directory" % (meta, m.get("experiment_id")))
    if m.get("status") not in (1, 2, 3, 4, 5):
        bad("%s: status %r" % (meta, m.get("status")))
    for sub in ("params", "tags", "metrics"):
        p = os.path.join(rdir, sub)
        if not os.path.isdir(p):
            bad("run %s lacks %s/" % (rdir, sub))
            continue
        no_temp_files(p, sub[:-1])
    mdir = os.path.join(rdir, "metrics")
    for root, _, files in os.walk(mdir):
        for n in files:
            if is_temp(n):
                continue
            with open(os.path.join(root, n), "rb") as f:
                text = f.read()
            if text and not text.endswith(b"\n"):
                bad("metric file %s ends in a torn line" % os.path.join(root, n))
            for ln in text.split(b"\n")[:-1]:
                parts = ln.split(b" ")
                try:
                    int(parts[0])
                    float(parts[1])
                    if len(parts) == 3:
                        int(parts[2])
                    elif len(parts) != 2:
                        raise ValueError
                except (ValueError, IndexError):
                    bad("metric file %s: bad line %r" % (os.path.join(root, n), ln))
    # a FINISHED training run (it fingerprinted its data) saved its whole model and metrics
    if m.get("status") == 3 and os.path.isfile(os.path.join(rdir, "params", "data_sha256")):
        art = os.path.join(rdir, "artifacts")
        no_temp_files(art, "artifact")
        for f in ("model/MLmodel", "model/model.json", "metrics.json"):
            if not os.path.isfile(os.path.join(art, f)):
                bad("FINISHED run %s lacks artifacts/%s" % (rid, f))
        if not os.path.isfile(os.path.join(rdir, "metrics", "auc")):
            bad("FINISHED run %s lacks metric auc" % rid)


def check_experiments(store):
    nruns = 0
    for parent, in_trash in ((store, False), (os.path.join(store, ".trash"), True)):
        if not os.path.isdir(parent):
            continue
        for e in sorted(os.listdir(parent)):
            edir = os.path.join(parent, e)
            if not os.path.isdir(edir) or e == "models" and not in_trash:
                continue
            if e.startswith("."):
                if TMP_RE.match(e):
                    pending_tmp.append(edir)
                    swept_tmp.append(edir)
                elif e != ".trash":
                    bad("unexpected directory at the store root: %s" % e)
                continue
            meta = os.path.join(edir, "meta.yaml")
            if not os.path.exists(meta):
                bad("experiment directory without meta.yaml: %s" % edir)
                continue
            m = load_yaml(meta, EXP_KEYS)
            if m is not None and str(m.get("experiment_id")) != e:
                bad("%s: experiment_id %r differs from its directory" % (meta, m.get("experiment_id")))
            for r in sorted(os.listdir(edir)):
                rdir = os.path.join(edir, r)
                if r in RESERVED or not os.path.isdir(rdir):
                    continue
                if TMP_RE.match(r):
                    pending_tmp.append(rdir)
                    continue
                if is_temp(r):
                    bad("stray temporary directory in experiment %s: %s" % (e, r))
                    continue
                nruns += 1
                check_run(rdir, r, e)
    return nruns


VERSION_KEYS = ["creation_timestamp", "current_stage", "last_updated_timestamp", "name", "run_id",
                "source", "status", "version"]


def check_model(store, name, lendlab):
    mdir = os.path.join(store, "models", name)
    meta = os.path.join(mdir, "meta.yaml")
    versions = set()
    allowed = {"meta.yaml", "aliases", "tags", "history.jsonl", ".lock", ".pending"}
    for n in os.listdir(mdir):
        if re.fullmatch(r"version-[1-9][0-9]*", n):
            continue
        if TMP_RE.match(n):
            pending_tmp.append(os.path.join(mdir, n))
            swept_tmp.append(os.path.join(mdir, n))
            continue
        if n not in allowed:
            bad("unexpected entry in models/%s/: %s" % (name, n))
    if not os.path.exists(meta):
        # a registration killed before the model's meta.yaml was committed: nothing else may exist
        for n in os.listdir(mdir):
            if n not in (".lock", ".pending") and not TMP_RE.match(n):
                bad("models/%s has %s but no meta.yaml" % (name, n))
        return 0
    load_yaml(meta, ["name", "creation_timestamp"])
    for n in os.listdir(mdir):
        if not n.startswith("version-"):
            continue
        vdir = os.path.join(mdir, n)
        v = int(n[8:])
        vmeta = os.path.join(vdir, "meta.yaml")
        if not os.path.exists(vmeta):
            bad("version directory without meta.yaml: %s" % vdir)
            continue
        y = load_yaml(vmeta, VERSION_KEYS)
        if y is None:
            continue
        if y.get("version") != v:
            bad("%s: version %r differs from its directory" % (vmeta, y.get("version")))
        for e in os.listdir(vdir):
            if e not in ("meta.yaml", "tags"):
                bad("unexpected entry in %s: %s" % (vdir, e))
        if os.path.isdir(os.path.join(vdir, "tags")):
            no_temp_files(os.path.join(vdir, "tags"), "tag")
        versions.add(v)
    adir = os.path.join(mdir, "aliases")
    aliases = {}
    if os.path.isdir(adir):
        for a in os.listdir(adir):
            if is_temp(a):
                bad("stray temporary file in %s: %s" % (adir, a))
                continue
            with open(os.path.join(adir, a)) as f:
                t = f.read().strip()
            if not t.isdigit():
                bad("alias %s of %s holds %r" % (a, name, t))
            elif int(t) not in versions:
                bad("alias %s of %s points at missing version %s" % (a, name, t))
            else:
                aliases[a] = int(t)
    hist = os.path.join(mdir, "history.jsonl")
    # a change interrupted by a crash is recorded in .pending until the next change of the
    # model settles it: until then stages may lag behind the aliases and its history line
    # may be missing (or torn); without a pending record all of that must be consistent
    pending = os.path.exists(os.path.join(mdir, ".pending"))
    if pending:
        pending_changes.append(mdir)
        try:
            with open(os.path.join(mdir, ".pending")) as f:
                if not isinstance(json.load(f), dict):
                    raise ValueError
        except ValueError:
            bad("models/%s/.pending is not a JSON object" % name)
    registered = []
    if os.path.exists(hist):
        with open(hist, "rb") as f:
            text = f.read()
        if text and not text.endswith(b"\n") and not pending:
            # only an append killed mid-write tears the last line, and its change is pending
            bad("%s ends in a torn line with no pending change" % hist)
        for i, ln in enumerate(text.split(b"\n")[:-1], 1):
            try:
                o = json.loads(ln)
            except ValueError:
                bad("%s line %d is not JSON: %r" % (hist, i, ln[:80]))
                continue
            if not isinstance(o, dict):
                bad("%s line %d is not an object" % (hist, i))
            elif o.get("action") == "register":
                registered.append(o.get("version"))
    if registered != sorted(set(registered)):
        bad("%s: registered versions not unique and increasing: %s" % (hist, registered))
    for v in registered:
        if v not in versions:
            bad("%s records version %s, which does not exist" % (hist, v))
    if SETTLED and pending:
        bad("models/%s/.pending left after a completed change" % name)
    if not pending:
        for v in sorted(versions - set(registered)):
            bad("version %s of %s has no register line in the history" % (v, name))
    h = cli(lendlab, store, "history", name, "--json")
    if h is not None and os.path.exists(hist) and len(h) != len(text.split(b"\n")) - 1:
        bad("history %s shows %d entries, the file holds %d whole lines"
            % (name, len(h), len(text.split(b"\n")) - 1))
    j = cli(lendlab, store, "registry", name, "--json")
    if j is not None:
        listed = sorted(x["version"] for x in j.get("versions", []))
        if listed != sorted(versions):
            bad("registry %s lists versions %s, the store holds %s" % (name, listed, sorted(versions)))
        for x in j.get("versions", []):
            al = x.get("aliases", [])
            want = "Production" if "production" in al else "Staging" if "staging" in al else None
            if pending:
                continue
            if want and x.get("stage") != want:
                bad("registry %s: version %s holds %s but is in stage %s"
                    % (name, x["version"], ", ".join(al), x.get("stage")))
            holder = j.get("aliases", {}).get(x.get("stage", "").lower())
            if not want and holder is not None and holder != x["version"]:
                bad("registry %s: version %s is in stage %s, whose alias version %s holds"
                    % (name, x["version"], x.get("stage"), holder))
    return len(versions)


def main():
    if len(sys.argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    lendlab, store = sys.argv[1], sys.argv[2]
    no_running = "--no-running" in sys.argv[3:]
    global SETTLED
    SETTLED = "--settled" in sys.argv[3:]
    runs = cli(lendlab, store, "runs", "--json", "--all")
    cli(lendlab, store, "experiments", "--json", "--all")
    regs = cli(lendlab, store, "registry", "--json")
    if runs is not None:
        for r in runs.get("runs", []):
            if r.get("status") not in ("RUNNING", "DIED", "FINISHED", "FAILED", "KILLED"):
                bad("run %s has status %r" % (r.get("run_id"), r.get("status")))
            if no_running and r.get("status") == "RUNNING":
                bad("run %s is RUNNING although no lendlab process is alive" % r.get("run_id"))
    nruns = check_experiments(store)
    if runs is not None and len(runs.get("runs", [])) != nruns:
        bad("runs --json lists %d runs, the store holds %d" % (len(runs["runs"]), nruns))
    nversions = 0
    models = os.path.join(store, "models")
    if os.path.isdir(models):
        for name in sorted(os.listdir(models)):
            if os.path.isdir(os.path.join(models, name)):
                if is_temp(name):
                    bad("stray temporary directory in models/: %s" % name)
                    continue
                nversions += check_model(store, name, lendlab)
        listed = sorted(m["name"] for m in regs) if regs is not None else None
        have = sorted(n for n in os.listdir(models)
                      if os.path.exists(os.path.join(models, n, "meta.yaml")))
        if listed is not None and listed != have:
            bad("registry --json lists %s, the store holds %s" % (listed, have))
    if SETTLED:
        for t in swept_tmp:
            bad("temporary entry left: %s" % t)
    for p in problems:
        print("INCONSISTENT: " + p)
    print("checked %d runs, %d versions, %d temporaries left by killed writers, %d pending "
          "changes: %s" % (nruns, nversions, len(pending_tmp), len(pending_changes),
             "%d problems" % len(problems) if problems else "ok"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
