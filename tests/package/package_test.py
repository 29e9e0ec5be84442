#!/usr/bin/env python3
"""Tests of the Debian package (Python standard library only).

  contents  builds the .deb with cpack into a temporary directory and checks it
            without installing anything: the file list (dpkg-deb -c), the
            control fields, conffiles and maintainer scripts (dpkg-deb -I/-e),
            then, in a throwaway root made with dpkg-deb -x: the systemd unit
            (systemd-analyze verify --root), the default configuration
            (the extracted clearbounce-milter -n and clearbounce lint), the man
            pages (groff without warnings), that the unit, the default
            configuration and the Postfix example name the same socket, the
            copyright file and Debian changelog, and lintian (no error or
            warning but the few LINTIAN_ACCEPTED names, each with its reason).
  install   as root only (else skipped): installs the same .deb on this
            machine with dpkg -i, checks the system user, the socket
            directories, the conffile, `systemd-analyze verify` of the
            installed unit and `clearbounce-milter -n`; runs the daemon as the
            unit does (through systemctl when systemd runs, otherwise as the
            user clearbounce with UMask 0007) and checks the socket's owner,
            group and mode, that Postfix's user may connect and others may
            not, and a SIGUSR1 reload with a good and a bad configuration;
            reinstalls over a changed conffile (kept), then removes and
            purges the package and checks that nothing is left. Skipped when
            clearbounce is installed already: that installation is not the
            test's to replace.

Exit status: 0 passed, 1 failed, 77 skipped.
"""

import argparse
import grp
import gzip
import os
import pwd
import re
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time

SKIP = 77
PACKAGE = "clearbounce"
CONFFILE = "/etc/clearbounce/clearbounce.toml"
MARKER_KEY = "/etc/clearbounce/marker.key"  # made by postinst, not a file of the package
UNIT = "/lib/systemd/system/clearbounce.service"
TMPFILES = "/usr/lib/tmpfiles.d/clearbounce.conf"
SOCKET_DIR = "/var/spool/postfix/clearbounce"
SOCKET = SOCKET_DIR + "/clearbounce.sock"
RUNTIME_DIR = "/run/clearbounce"
MILTER = "/usr/sbin/clearbounce-milter"
CLI = "/usr/bin/clearbounce"
MAN_PAGES = ["/usr/share/man/man1/clearbounce.1.gz", "/usr/share/man/man5/clearbounce.toml.5.gz",
             "/usr/share/man/man8/clearbounce-milter.8.gz"]
EXAMPLES = ["/usr/share/doc/clearbounce/examples/postfix-main.cf",
            "/usr/share/doc/clearbounce/examples/sendmail.mc"]
COPYRIGHT = "/usr/share/doc/clearbounce/copyright"
CHANGELOG = "/usr/share/doc/clearbounce/changelog.Debian.gz"

# Lintian tags the package test accepts, each inherent to how this package
# is made and shipped (CPack, outside the Debian archive), not a fault of it:
LINTIAN_ACCEPTED = {
    # The changelog's first entry would close the ITP bug of a package
    # uploaded to Debian; this one is built from the source tree and has
    # no such bug to close.
    "initial-upload-closes-no-bugs",
}


class Skip(Exception):
    pass


class Checks:
    def __init__(self):
        self.failures = []
        self.passed = 0

    def check(self, ok, what, detail=""):
        if ok:
            self.passed += 1
            print(f"ok    {what}", flush=True)
        else:
            self.failures.append(what)
            print(f"FAIL  {what}" + (f"\n      {detail}".replace("\n", "\n      ") if detail else ""), flush=True)
        return ok


def run(*argv, check=False, **kwargs):
    kwargs.setdefault("stdout", subprocess.PIPE)
    kwargs.setdefault("stderr", subprocess.PIPE)
    kwargs.setdefault("text", True)
    kwargs.setdefault("timeout", 300)
    result = subprocess.run(list(argv), **kwargs)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited with {result.returncode}:\n{result.stdout}{result.stderr}")
    return result


# ---------------------------------------------------------------------------
# Building


def build_deb(args, directory):
    """Runs cpack on the build tree (its install rules, its binaries) with the
    package written to `directory`; returns the .deb's path."""
    result = run(args.cpack, "-G", "DEB", "--config", os.path.join(args.build_dir, "CPackConfig.cmake"),
                 "-B", directory, cwd=args.build_dir, timeout=900)
    if result.returncode != 0:
        raise RuntimeError(f"cpack failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    debs = [name for name in os.listdir(directory) if name.endswith(".deb")]
    if len(debs) != 1:
        raise RuntimeError(f"cpack made {debs or 'no .deb'} in {directory}:\n{result.stdout}")
    print(f"built {debs[0]}", flush=True)
    return os.path.join(directory, debs[0])


def control_fields(text):
    fields, key = {}, None
    for line in text.splitlines():
        if line[:1] in (" ", "\t") and key:
            fields[key] += "\n" + line
        elif ":" in line:
            key, value = line.split(":", 1)
            fields[key] = value.strip()
    return fields


def locale_files(source_dir):
    return sorted(n for n in os.listdir(os.path.join(source_dir, "templates", "locales")) if n.endswith(".toml"))


# ---------------------------------------------------------------------------
# contents


def expected_files(source_dir):
    files = {CONFFILE: 0o644, UNIT: 0o644, TMPFILES: 0o644, MILTER: 0o755, CLI: 0o755,
             "/usr/share/clearbounce/rules.toml": 0o644, "/usr/share/doc/clearbounce/README.md": 0o644,
             # The diagnosis's data, built in and installed for the administrator to read.
             "/usr/share/clearbounce/blocklists.toml": 0o644, "/usr/share/clearbounce/mail_domains.txt": 0o644,
             COPYRIGHT: 0o644, CHANGELOG: 0o644}
    files.update({page: 0o644 for page in MAN_PAGES})
    files.update({example: 0o644 for example in EXAMPLES})
    files.update({f"/usr/share/clearbounce/locales/{name}": 0o644 for name in locale_files(source_dir)})
    return files


def check_file_list(checks, deb, source_dir):
    listing = run("dpkg-deb", "-c", deb, check=True).stdout
    files, owners = {}, set()
    for line in listing.splitlines():
        fields = line.split(None, 5)
        if len(fields) < 6:
            continue
        mode, owner, path = fields[0], fields[1], fields[5]
        owners.add(owner)
        if mode.startswith("-"):
            files[path[1:]] = mode  # "./usr/bin/x" -> "/usr/bin/x"
    expected = expected_files(source_dir)
    missing = sorted(set(expected) - set(files))
    extra = sorted(set(files) - set(expected))
    checks.check(not missing, "dpkg-deb -c: every expected file is there", f"missing: {missing}")
    checks.check(not extra, "dpkg-deb -c: nothing else (no headers, static libraries or tests)", f"extra: {extra}")
    wrong = [f"{path} {files[path]}" for path, want in expected.items()
             if path in files and files[path] != stat.filemode(stat.S_IFREG | want)]
    checks.check(not wrong, "dpkg-deb -c: programs 0755, everything else 0644", "\n".join(wrong))
    checks.check(owners == {"root/root"}, "dpkg-deb -c: everything belongs to root", f"owners: {owners}")


def check_control(checks, deb, work, version):
    fields = control_fields(run("dpkg-deb", "-f", deb, check=True).stdout)
    arch = run("dpkg", "--print-architecture", check=True).stdout.strip()
    checks.check(fields.get("Package") == PACKAGE, "control: Package", fields.get("Package", ""))
    checks.check(fields.get("Version", "").startswith(version + "-"), f"control: Version {version}-N",
                 fields.get("Version", ""))
    checks.check(fields.get("Architecture") == arch, f"control: Architecture {arch}", fields.get("Architecture", ""))
    checks.check(fields.get("Section") == "mail", "control: Section mail", fields.get("Section", ""))
    depends = fields.get("Depends", "")
    for needed in ("adduser", "init-system-helpers", "libmilter1.0.1", "libre2", "libc6"):
        checks.check(needed in depends, f"control: Depends names {needed}", depends)
    description = fields.get("Description", "")
    checks.check("\n" in description and all(line.startswith(" ") for line in description.split("\n")[1:]),
                 "control: a summary and an indented long description", description)

    control = os.path.join(work, "control")
    run("dpkg-deb", "-e", deb, control, check=True)
    with open(os.path.join(control, "conffiles")) as f:
        conffiles = f.read().split()
    checks.check(conffiles == [CONFFILE], f"conffiles: exactly {CONFFILE}", str(conffiles))
    for script in ("postinst", "prerm", "postrm"):
        path = os.path.join(control, script)
        present = os.path.isfile(path)
        checks.check(present and os.stat(path).st_mode & 0o777 == 0o755, f"{script}: present, mode 0755")
        if present:
            syntax = run("sh", "-n", path)
            checks.check(syntax.returncode == 0, f"{script}: sh -n", syntax.stderr)


def check_unit(checks, root):
    with open(root + UNIT) as f:
        unit = f.read()
    settings = {}
    for line in unit.splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            settings.setdefault(key, []).append(value)

    def one(key):
        return settings.get(key, [""])[-1]

    checks.check(one("Type") == "notify", "unit: Type=notify", one("Type"))
    checks.check(one("User") == "clearbounce" and one("Group") == "clearbounce", "unit: User and Group clearbounce")
    checks.check(one("UMask") == "0007", "unit: UMask=0007 (nothing for others)", one("UMask"))
    checks.check(one("ProtectSystem") in ("strict", "full", "yes"), "unit: ProtectSystem", one("ProtectSystem"))
    for key in ("ProtectHome", "PrivateTmp", "NoNewPrivileges"):
        checks.check(one(key) == "yes", f"unit: {key}=yes", one(key))
    families = one("RestrictAddressFamilies").split()
    checks.check(families and not families[0].startswith("~") and "AF_UNIX" in families,
                 "unit: an allow-list of address families with AF_UNIX", " ".join(families))
    # A hostile report must not take the machine's memory: a hard bound,
    # with the soft one below it (the unit's comment gives the measurement).
    memory_max, memory_high = one("MemoryMax"), one("MemoryHigh")
    checks.check(re.fullmatch(r"[0-9]+[KMG]", memory_max) is not None, "unit: MemoryMax is a size", memory_max)
    if memory_max and memory_high:
        units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
        size = lambda text: int(text[:-1]) * units[text[-1]] if re.fullmatch(r"[0-9]+[KMG]", text) else 0
        checks.check(0 < size(memory_high) < size(memory_max), "unit: MemoryHigh below MemoryMax",
                     f"{memory_high} {memory_max}")
    checks.check("/bin/kill -USR1 $MAINPID" in one("ExecReload"), "unit: reload sends SIGUSR1", one("ExecReload"))
    exec_start = one("ExecStart").split()
    checks.check(exec_start[:1] == [MILTER] and "-f" in exec_start, f"unit: ExecStart runs {MILTER} -f",
                 one("ExecStart"))
    checks.check(any(SOCKET_DIR in value for value in settings.get("ReadWritePaths", [])),
                 f"unit: the socket directory {SOCKET_DIR} is writable", str(settings.get("ReadWritePaths")))

    # systemd-analyze verify in a root of its own: the package's files, the
    # systemd units they depend on (sysinit.target, ...) and /bin/kill, so
    # that the unit is checked as it will be found, executables included.
    # Warnings (an unknown key, a bad value) count as failures: verify
    # itself exits 0 on them.
    shutil.copytree("/lib/systemd/system", os.path.join(root, "usr/lib/systemd/system"), symlinks=True,
                    dirs_exist_ok=True)
    os.makedirs(os.path.join(root, "bin"), exist_ok=True)
    shutil.copy2("/bin/kill", os.path.join(root, "bin/kill"))
    verify = run("systemd-analyze", "verify", "--man=no", f"--root={root}", "clearbounce.service")
    output = (verify.stdout + verify.stderr).strip()
    checks.check(verify.returncode == 0 and not output, "systemd-analyze verify: no error, no warning", output)

    with open(root + TMPFILES) as f:
        lines = [line.split() for line in f if line.strip() and not line.startswith("#")]
    checks.check(["d", RUNTIME_DIR, "0750", "clearbounce", "clearbounce", "-"] in lines,
                 f"tmpfiles: {RUNTIME_DIR} 0750 clearbounce", str(lines))


def check_default_config(checks, root):
    # The configuration names the marker key postinst makes; this extracted
    # tree has none, so its copy here points at a key of the test's own.
    with open(root + CONFFILE) as f:
        shipped = f.read()
    checks.check(f'\nkey_file = "{MARKER_KEY}"\n' in shipped, f"default configuration: key_file = {MARKER_KEY}")
    key = os.path.join(root, "marker.key")
    with open(key, "wb") as f:
        f.write(os.urandom(32))
    config = os.path.join(root, "clearbounce-test.toml")
    with open(config, "w") as f:
        f.write(shipped.replace(f'key_file = "{MARKER_KEY}"', f'key_file = "{key}"'))
    result = run(root + MILTER, "-n", "-c", config)
    checks.check(result.returncode == 0, "the extracted clearbounce-milter -n accepts the default configuration",
                 result.stdout + result.stderr)
    result = run(root + CLI, "lint", "-c", config)
    checks.check(result.returncode == 0, "the extracted clearbounce lint accepts the default configuration",
                 result.stdout + result.stderr)
    version = run(root + MILTER, "-V")
    checks.check(version.returncode == 0 and version.stdout.startswith("clearbounce-milter "),
                 "clearbounce-milter -V", version.stdout + version.stderr)

    # One socket, named alike in the configuration, the unit's writable paths
    # and the Postfix example (relative to Postfix's queue directory).
    with open(root + CONFFILE) as f:
        active = [line.strip() for line in f if re.match(r"\s*socket\s*=", line)]
    checks.check(active == [f'socket = "unix:{SOCKET}"'], f"default configuration: socket unix:{SOCKET}", str(active))
    with open(root + EXAMPLES[0]) as f:
        postfix = f.read()
    relative = os.path.relpath(SOCKET, "/var/spool/postfix")
    for setting in ("non_smtpd_milters", "smtpd_milters"):
        line = re.search(rf"^{setting} = (.*)$", postfix, re.M)
        checks.check(line is not None and line.group(1) == f"{{ unix:{relative}, default_action=accept }}",
                     f"Postfix example: {setting} = {{ unix:{relative}, default_action=accept }}",
                     line.group(0) if line else "missing")
    checks.check(re.search(r"^internal_mail_filter_classes = bounce$", postfix, re.M) is not None,
                 "Postfix example: internal_mail_filter_classes = bounce")
    with open(root + EXAMPLES[1]) as f:
        sendmail = f.read()
    checks.check(f"S=local:{SOCKET}," in sendmail and "INPUT_MAIL_FILTER(`clearbounce'" in sendmail,
                 "Sendmail example: INPUT_MAIL_FILTER with the same socket")


def check_man_pages(checks, root):
    groff = shutil.which("groff")
    for page in MAN_PAGES:
        with gzip.open(root + page, "rt", encoding="utf-8") as f:
            roff = f.read()
        name = os.path.basename(page)[:-3]
        checks.check(".TH " in roff and ".SH NAME" in roff, f"{name}: a man page with a NAME section")
        if groff:
            result = run(groff, "-man", "-Tutf8", "-ww", "-z", input=roff, env={**os.environ, "LC_ALL": "C.UTF-8"})
            warnings = (result.stdout + result.stderr).strip()
            checks.check(result.returncode == 0 and not warnings, f"{name}: groff -ww has no warnings", warnings)
    if not groff:
        print("note: groff is not installed, the man pages were not rendered", flush=True)


def check_debian_docs(checks, root, version):
    with open(root + COPYRIGHT) as f:
        copyright_text = f.read()
    checks.check(copyright_text.startswith("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"),
                 "copyright: the machine-readable format", copyright_text[:200])
    with gzip.open(root + CHANGELOG, "rt", encoding="utf-8") as f:
        first = f.readline()
    checks.check(first.startswith(f"clearbounce ({version}-"), f"changelog.Debian.gz: the latest entry is {version}",
                 first)


def check_lintian(checks, deb):
    """lintian on the .deb: no error and no warning, but for the tags in
    LINTIAN_ACCEPTED. Informational tags are shown, not counted."""
    lintian = shutil.which("lintian")
    if not checks.check(lintian is not None, "lintian is installed (scripts/deps.sh)"):
        return
    result = run(lintian, "--display-info", "--no-tag-display-limit",
                 "--suppress-tags", ",".join(sorted(LINTIAN_ACCEPTED)), deb, timeout=600)
    tags = [line for line in result.stdout.splitlines() if re.match(r"[EWIPXO]: ", line)]
    for line in tags:
        print(f"      lintian: {line}", flush=True)
    failing = [line for line in tags if line.startswith(("E: ", "W: "))]
    # lintian exits 2 on its own failure (not on tags): that is a failure too.
    checks.check(result.returncode in (0, 1) and not failing, "lintian: no error, no warning",
                 "\n".join(failing) + (result.stderr if result.returncode not in (0, 1) else ""))


def scenario_contents(args, checks):
    with tempfile.TemporaryDirectory(prefix="clearbounce-package-") as work:
        deb = build_deb(args, os.path.join(work, "out"))
        check_file_list(checks, deb, args.source_dir)
        check_control(checks, deb, work, args.version)
        root = os.path.join(work, "root")
        run("dpkg-deb", "-x", deb, root, check=True)
        check_unit(checks, root)
        check_default_config(checks, root)
        check_man_pages(checks, root)
        check_debian_docs(checks, root, args.version)
        check_lintian(checks, deb)


# ---------------------------------------------------------------------------
# install


def installed_status():
    result = run("dpkg-query", "-W", "-f=${Status}", PACKAGE)
    return result.stdout.strip() if result.returncode == 0 else ""


def owner(path):
    st = os.stat(path)
    return pwd.getpwuid(st.st_uid).pw_name, grp.getgrgid(st.st_gid).gr_name, stat.S_IMODE(st.st_mode)


def can_connect(path, user):
    """Whether `user` may connect to the unix socket `path` (run as that user)."""
    code = ("import socket,sys\ns=socket.socket(socket.AF_UNIX)\n"
            "try:\n s.connect(sys.argv[1])\nexcept OSError as e:\n print(e); sys.exit(1)\n")
    result = run("setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups", sys.executable, "-c", code, path)
    return result.returncode == 0, (result.stdout + result.stderr).strip()


def wait_for(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


class Daemon:
    """The installed daemon, started as the unit starts it: by systemctl when
    systemd runs, otherwise as the user clearbounce with umask 0007 (the
    unit's sandboxing then cannot be applied)."""

    def __init__(self, work):
        self.systemd = os.path.isdir("/run/systemd/system")
        self.log = os.path.join(work, "milter.log")
        self.process = None

    def start(self):
        if self.systemd:
            return run("systemctl", "start", "clearbounce.service").returncode == 0
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                ["setpriv", "--reuid=clearbounce", "--regid=clearbounce", "--init-groups", "--no-new-privs",
                 "sh", "-c", f"umask 0007; exec {MILTER} -f -c {CONFFILE}"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        return True

    def running(self):
        if self.systemd:
            return run("systemctl", "is-active", "--quiet", "clearbounce.service").returncode == 0
        return self.process is not None and self.process.poll() is None

    def reload(self):
        if self.systemd:
            return run("systemctl", "reload", "clearbounce.service").returncode == 0
        self.process.send_signal(10)  # SIGUSR1
        return True

    def log_text(self):
        if self.systemd:
            return run("journalctl", "-u", "clearbounce.service", "--no-pager", "-n", "50").stdout
        try:
            with open(self.log, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        if self.systemd:
            return run("systemctl", "stop", "clearbounce.service").returncode == 0
        if self.process is None or self.process.poll() is not None:
            return self.process is not None and self.process.returncode == 0
        self.process.terminate()
        try:
            return self.process.wait(30) == 0
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
            return False


def check_daemon(checks, work):
    daemon = Daemon(work)
    print(f"note: starting the daemon {'with systemctl' if daemon.systemd else 'without systemd (none runs here)'}",
          flush=True)
    try:
        checks.check(daemon.start() and wait_for(lambda: os.path.exists(SOCKET)),
                     f"the daemon starts and opens {SOCKET}", daemon.log_text())
        if not os.path.exists(SOCKET):
            return
        user, group, mode = owner(SOCKET)
        want_group = "postfix" if has_group("postfix") else "clearbounce"
        # Sockets need only write permission; umask 0007 gives rwxrwx---.
        checks.check(user == "clearbounce" and group == want_group and mode & 0o660 == 0o660 and mode & 0o007 == 0,
                     f"socket: clearbounce:{want_group}, read-write for both, nothing for others",
                     f"{user}:{group} {oct(mode)}")
        if has_group("postfix"):
            ok, detail = can_connect(SOCKET, "postfix")
            checks.check(ok, "Postfix's user may connect to the socket", detail)
        ok, detail = can_connect(SOCKET, "nobody")
        checks.check(not ok, "another user may not connect to the socket", detail)

        with open(CONFFILE) as f:
            good = f.read()
        checks.check(daemon.reload() and wait_for(lambda: "reloading" in daemon.log_text(), 10)
                     and daemon.running(), "reload (SIGUSR1): the daemon reloads and keeps running", daemon.log_text())
        try:
            with open(CONFFILE, "a") as f:
                f.write("\n[milter]\nno_such_key = 1\n")
            before = daemon.log_text().count("reloading")
            daemon.reload()
            wait_for(lambda: daemon.log_text().count("reloading") > before, 10)
            time.sleep(0.5)
            checks.check(daemon.running() and os.path.exists(SOCKET),
                         "reload with a broken configuration: refused, the daemon keeps running", daemon.log_text())
        finally:
            with open(CONFFILE, "w") as f:
                f.write(good)
        checks.check(daemon.stop(), "the daemon stops cleanly on SIGTERM", daemon.log_text())
    finally:
        if daemon.running():
            daemon.stop()


def has_group(name):
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


def has_user(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def scenario_install(args, checks):
    if os.geteuid() != 0:
        raise Skip("not root: dpkg -i needs root (run ./scripts/test.sh as root)")
    status = installed_status()
    if status and "not-installed" not in status and "config-files" not in status:
        raise Skip(f"{PACKAGE} is installed on this machine already ({status}); "
                   f"not replacing it (dpkg --purge {PACKAGE} to let this test run)")
    if has_user("clearbounce"):
        raise Skip("a user clearbounce exists although the package is not installed; not touching it")
    for tool in ("setpriv", "systemd-analyze"):
        if not shutil.which(tool):
            raise Skip(f"{tool} is missing")

    with tempfile.TemporaryDirectory(prefix="clearbounce-install-") as work:
        os.chmod(work, 0o755)
        deb = build_deb(args, os.path.join(work, "out"))
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        try:
            result = run("dpkg", "-i", deb, env=env)
            checks.check(result.returncode == 0, "dpkg -i", result.stdout + result.stderr)
            if result.returncode != 0:
                return
            checks.check(installed_status() == "install ok installed", "dpkg: install ok installed",
                         installed_status())
            conffiles = run("dpkg-query", "-W", "-f=${Conffiles}", PACKAGE).stdout
            checks.check(CONFFILE in conffiles, f"dpkg-query: {CONFFILE} is a conffile", conffiles)
            for path in [MILTER, CLI, UNIT, TMPFILES, CONFFILE] + MAN_PAGES + EXAMPLES:
                checks.check(os.path.exists(path), f"installed: {path}")

            account = pwd.getpwnam("clearbounce") if has_user("clearbounce") else None
            checks.check(account is not None and account.pw_uid < 1000 and account.pw_dir == "/nonexistent"
                         and account.pw_shell.endswith("nologin"),
                         "system user clearbounce: no login, no home", str(account))
            checks.check(has_group("clearbounce"), "system group clearbounce")
            want_group = "postfix" if has_group("postfix") else "clearbounce"
            checks.check(os.path.isdir(SOCKET_DIR) and owner(SOCKET_DIR) == ("clearbounce", want_group, 0o2750),
                         f"{SOCKET_DIR}: clearbounce:{want_group}, mode 2750 (set-group-ID)",
                         str(owner(SOCKET_DIR)) if os.path.isdir(SOCKET_DIR) else "missing")
            key = open(MARKER_KEY, "rb").read() if os.path.exists(MARKER_KEY) else b""
            checks.check(len(key) == 32 and owner(MARKER_KEY) == ("root", "clearbounce", 0o640),
                         f"{MARKER_KEY}: 32 bytes, root:clearbounce, mode 0640",
                         str(owner(MARKER_KEY)) if key else "missing")
            checks.check(os.path.isdir(RUNTIME_DIR) and owner(RUNTIME_DIR) == ("clearbounce", "clearbounce", 0o750),
                         f"{RUNTIME_DIR}: clearbounce:clearbounce, mode 0750 (tmpfiles)",
                         str(owner(RUNTIME_DIR)) if os.path.isdir(RUNTIME_DIR) else "missing")

            if has_group("postfix") and shutil.which("dpkg-reconfigure"):
                # As if Postfix had come after clearbounce: the documented fix.
                shutil.chown(SOCKET_DIR, group="clearbounce")
                result = run("dpkg-reconfigure", PACKAGE, env=env)
                checks.check(result.returncode == 0 and owner(SOCKET_DIR)[1] == "postfix",
                             f"dpkg-reconfigure hands {SOCKET_DIR} to the group postfix",
                             result.stdout + result.stderr + str(owner(SOCKET_DIR)))

            verify = run("systemd-analyze", "verify", "clearbounce.service")
            output = (verify.stdout + verify.stderr).strip()
            checks.check(verify.returncode == 0 and not output,
                         "systemd-analyze verify clearbounce.service (installed, man pages included)", output)
            result = run(MILTER, "-n")
            checks.check(result.returncode == 0, f"{MILTER} -n accepts the default configuration",
                         result.stdout + result.stderr)
            if shutil.which("man"):
                result = run("man", "-w", "clearbounce-milter")
                checks.check(result.returncode == 0 and "clearbounce-milter.8" in result.stdout,
                             "man -w clearbounce-milter finds the page", result.stdout + result.stderr)

            check_daemon(checks, work)

            # An administrator's change to the conffile survives a reinstall.
            with open(CONFFILE, "a") as f:
                f.write("\n# changed by the package test\n")
            result = run("dpkg", "-i", "--force-confold", deb, env=env)
            with open(CONFFILE) as f:
                kept = "# changed by the package test" in f.read()
            checks.check(result.returncode == 0 and kept, "reinstall: the changed conffile is kept",
                         result.stdout + result.stderr)
            with open(MARKER_KEY, "rb") as f:
                checks.check(f.read() == key, "reinstall: the marker key is kept")

            result = run("dpkg", "-r", PACKAGE, env=env)
            checks.check(result.returncode == 0 and not os.path.exists(MILTER) and os.path.exists(CONFFILE),
                         "dpkg -r: programs gone, conffile kept", result.stdout + result.stderr)
        finally:
            result = run("dpkg", "--purge", PACKAGE, env=env)
        checks.check(result.returncode == 0, "dpkg --purge", result.stdout + result.stderr)
        left = [path for path in ("/etc/clearbounce", SOCKET_DIR, RUNTIME_DIR, UNIT, MILTER,
                                  "/etc/systemd/system/multi-user.target.wants/clearbounce.service")
                if os.path.lexists(path)]
        checks.check(not left, "purge: nothing left behind", str(left))
        checks.check(not has_user("clearbounce") and not has_group("clearbounce"),
                     "purge: user and group clearbounce removed")
        checks.check(installed_status() in ("", "unknown ok not-installed"), "dpkg: not installed any more",
                     installed_status())


SCENARIOS = {"contents": scenario_contents, "install": scenario_install}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--build-dir", required=True, help="the configured and built build tree")
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--cpack", default="cpack")
    parser.add_argument("--version", required=True, help="the project's version")
    args = parser.parse_args()
    for tool in ("dpkg-deb", "dpkg", args.cpack):
        if not shutil.which(tool):
            print(f"SKIPPED {args.scenario}: {tool} is missing")
            return SKIP
    checks = Checks()
    try:
        SCENARIOS[args.scenario](args, checks)
    except Skip as skip:
        print(f"SKIPPED {args.scenario}: {skip}")
        return SKIP
    except Exception:  # a harness error is a failure too, with its traceback
        import traceback
        print(f"FAILED {args.scenario}:\n{traceback.format_exc()}")
        return 1
    if checks.failures:
        print(f"FAILED {args.scenario}: {len(checks.failures)} of {len(checks.failures) + checks.passed} checks:\n  "
              + "\n  ".join(checks.failures))
        return 1
    print(f"PASSED {args.scenario}: {checks.passed} checks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
