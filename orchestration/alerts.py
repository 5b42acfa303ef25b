"""E-mail alerts when an unattended run fails, through the SMTP server the LA configures.

Settings come from the environment (`HIGHNEEDS_SMTP_HOST`, `_PORT`, `_FROM`, `_TO` as a comma-separated
list, optional `_USER`/`_PASSWORD` and `HIGHNEEDS_SMTP_STARTTLS=1`). Without a host, alerts are off and
the failure is only in the run log and the UI. Messages carry file names and rules, never identifiers:
refusal messages are masked where they are made.
"""

from __future__ import annotations

import os
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    user: str | None = None
    password: str | None = None
    starttls: bool = False

    @classmethod
    def from_env(cls) -> SmtpSettings | None:
        host = os.environ.get("HIGHNEEDS_SMTP_HOST")
        recipients = tuple(r.strip() for r in os.environ.get("HIGHNEEDS_SMTP_TO", "").split(",") if r.strip())
        if not host or not recipients:
            return None
        return cls(
            host=host,
            port=int(os.environ.get("HIGHNEEDS_SMTP_PORT", "25")),
            sender=os.environ.get("HIGHNEEDS_SMTP_FROM", "highneeds@localhost"),
            recipients=recipients,
            user=os.environ.get("HIGHNEEDS_SMTP_USER"),
            password=os.environ.get("HIGHNEEDS_SMTP_PASSWORD"),
            starttls=os.environ.get("HIGHNEEDS_SMTP_STARTTLS") == "1",
        )


def root_cause_message(error: object) -> str:
    """The innermost message of a Dagster `SerializableErrorInfo` chain: the one that says what was wrong."""
    if error is None:
        return "failed"
    while getattr(error, "cause", None) is not None:
        error = error.cause
    text = error.message.strip()
    class_name = getattr(error, "cls_name", "") or ""
    head, separator, rest = text.partition(": ")
    # Dagster prefixes the exception's (possibly dotted) class name: drop it, keep the message.
    if separator and class_name and head.split(".")[-1] == class_name:
        return rest.strip()
    return text


def failure_message(
    job_name: str, run_id: str, failures: list[str], sender: str, recipients: tuple[str, ...]
) -> EmailMessage:
    """A short e-mail a finance officer can act on: what failed and where to look."""
    message = EmailMessage()
    message["Subject"] = f"High Needs run failed: {job_name} ({run_id[:8]})"
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    lines = [
        f"The High Needs platform run {run_id} of {job_name} did not finish.",
        "",
        "What failed:",
        *[f"  - {failure}" for failure in failures or ["(no step failure recorded; see the run log)"]],
        "",
        "Last month's figures are unchanged. Fix or re-send the files named above;",
        "the next run picks them up.",
        "Details: open the Dagster UI (highneeds ui) and the run's log under <home>/logs/.",
    ]
    message.set_content("\n".join(lines))
    return message


def send_failure_alert(
    job_name: str, run_id: str, failures: list[str], smtp: SmtpSettings | None = None
) -> bool:
    """Send the alert; returns False when alerts are not configured."""
    smtp = smtp or SmtpSettings.from_env()
    if smtp is None:
        return False
    message = failure_message(job_name, run_id, failures, smtp.sender, smtp.recipients)
    with smtplib.SMTP(smtp.host, smtp.port, timeout=30) as client:
        if smtp.starttls:
            client.starttls()
        if smtp.user and smtp.password:
            client.login(smtp.user, smtp.password)
        client.send_message(message)
    return True
