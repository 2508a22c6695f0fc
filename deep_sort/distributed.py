"""Ray, shared by the parameter sweep and descriptor generation: connect, or start a local Ray.

Ray is imported only here and only when a tool runs with ``--executor ray``.
"""
from __future__ import annotations

import logging
import socket
from pathlib import Path

from .io.errors import InputError, first_line

#: Seconds to wait for a Ray cluster's address to accept a connection.
CONNECT_TIMEOUT = 10.0


def import_ray():
    """Import Ray, or raise InputError naming the extra to install."""
    try:
        import ray
    except ImportError:
        raise InputError("--executor ray needs Ray: pip install 'deep-sort-repro[sweep]'") from None
    return ray


def connect_ray(address: str | None, num_cpus: int | None = None) -> bool:
    """Connect to a Ray cluster, or start a local Ray; return whether this call started it.

    Parameters
    ----------
    address : str, optional
        ``ray://HOST:10001``, ``HOST:6379`` or ``auto`` for a running
        cluster; None starts a local Ray with ``num_cpus`` CPUs. An already
        initialised Ray (e.g. by the caller) is used as it is.
    num_cpus : int, optional
        CPUs of a local Ray (None: all).

    Raises
    ------
    InputError
        Ray is not installed, or the cluster cannot be reached.
    """
    ray = import_ray()
    if ray.is_initialized():
        return False
    if address is not None:
        _check_reachable(address)
    # The package travels with the job: cluster nodes need not have it installed.
    options = {"include_dashboard": False, "logging_level": logging.WARNING, "log_to_driver": True,
               "runtime_env": package_runtime_env()}
    if address is None:
        options["num_cpus"] = num_cpus
    try:
        ray.init(address=address, **options)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise InputError(f"--ray_address {address}: cannot connect to Ray ({first_line(exc)})") from None
    return True


def _check_reachable(address: str) -> None:
    """Fail fast on a cluster address nobody listens on (Ray itself retries for minutes)."""
    host_port = address.split("://", 1)[-1]
    host, _, port = host_port.rpartition(":")
    if address == "auto" or not host or not port.isdigit():
        return
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT).close()
    except OSError as exc:
        reason = exc.strerror.lower() if exc.strerror else "no answer"
        raise InputError(f"--ray_address {address}: cannot connect to Ray ({reason})") from None


def package_runtime_env() -> dict:
    """Ray job runtime environment that ships this package to the workers (no install on the nodes needed)."""
    import deep_sort

    return {"py_modules": [str(Path(deep_sort.__file__).parent)]}
