"""Writes the bundled sample: sample_data/tenants/<slug>.json (one snapshot per demo tenant, in the exact
format `auditor collect` writes) and sample_data/config.toml (the tenants.toml that goes with them), and
the logo in sample_data/assets/. Also builds synthetic tenants for the benchmarks.

    python -m sample_data.generate            # regenerate the sample in place
    python -m sample_data.generate --out DIR  # write tenants/ and config.toml under DIR instead

Deterministic: seeded RNGs and fixed dates (collection on 2026-11-20), never the clock, so regenerating
gives byte-identical files (a test checks it).
"""

from __future__ import annotations

import argparse
import random
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from auditor.snapshot import TenantKind, TenantSnapshot, dump_snapshot
from sample_data import catalog as c
from sample_data.builder import COLLECTED_AT, SEED, Posture, SubscriptionPosture, build_snapshot, guid, iso, ok
from sample_data.portfolio import CUSTOMERS, KNOWN_PARTNER, PARTNER, PARTNER_ID, demo_portfolio, slug_of
from sample_data.wave2 import partner_security_requirements

SAMPLE_DIR = Path(__file__).resolve().parent
LOGO_PATH = "assets/northwind-logo.png"
BRAND_COLOUR = "#0b5c8e"

__all__ = ["demo_portfolio", "synthetic_snapshot", "write_sample", "config_toml", "main"]


# --- synthetic tenants for benchmarks -------------------------------------------------------------------


def _pick(rng: random.Random, *options):
    return options[rng.randrange(len(options))]


def synthetic_posture(index: int, users: int = 300, subscriptions: int = 1, kind: str = "customer") -> Posture:
    """A plausible tenant of about ``users`` accounts with a random mix of good and bad settings."""
    rng = random.Random(SEED * 7919 + index)
    first, second = rng.choice(c.COMPANY_WORDS[0]), rng.choice(c.COMPANY_WORDS[1])
    licence = rng.choices(("business_standard", "business_premium", "e5"), (0.2, 0.6, 0.2))[0]
    has_p1 = licence != "business_standard"
    policies: tuple[str, ...] = ()
    security_defaults = False
    if has_p1 and rng.random() < 0.85:
        policies = tuple(p for p in (
            _pick(rng, "mfa_all", "mfa_all", "mfa_all_report_only", "mfa_all_trusted_locations", "mfa_all_group_exclusion", None),
            _pick(rng, "phish_admins", "phish_admins_partial", "mfa_admins", "mfa_admins_or_device", None),
            _pick(rng, "block_legacy", "block_legacy", "block_legacy_report_only", "legacy_disabled_draft", None),
            _pick(rng, "device_admins", None, None),
            _pick(rng, "mfa_guests", "block_countries", None),
        ) if p)
    else:
        security_defaults = rng.random() < 0.7
    guests = max(users // 25, 0)
    subs = tuple(
        SubscriptionPosture(
            f"{first} {second} - {_pick(rng, 'Production', 'Dev/Test', 'Data Platform', 'Line of Business', 'Sandbox')} {n + 1}",
            security_contact=rng.choices(("good", "off", "missing"), (0.6, 0.2, 0.2))[0],
            defender=rng.choices(("standard", "partial", "free", "absent"), (0.35, 0.25, 0.3, 0.1))[0],
            budget=rng.choices(("good", "no_contact", "missing"), (0.5, 0.15, 0.35))[0],
            anomaly_alert=rng.random() < 0.45,
            forbidden=rng.random() < 0.03,
        )
        for n in range(subscriptions)
    )
    forbidden: tuple[str, ...] = ()
    if rng.random() < 0.05:
        forbidden = tuple(rng.sample(("conditional_access_policies", "security_defaults", "role_assignments",
                                      "authentication_methods", "organization", "secure_scores"), 3))
    posture = Posture(
        slug=f"synthetic-{kind}-{index:05d}",
        name=f"{first} {second} {index}",
        domain=f"{first}{second}{index}.com".lower(),
        kind=TenantKind(kind),
        tags=(f"tier:{_pick(rng, 'gold', 'silver', 'silver', 'bronze')}",),
        members=max(users - guests, 5),
        guests=guests,
        disabled=users // 40,
        licence=licence,
        security_defaults=security_defaults,
        policies=policies,
        mfa_registered=round(rng.uniform(0.6, 1.0), 2),
        unregistered_admins=_pick(rng, 0, 0, 0, 1, 2),
        break_glass=_pick(rng, 0, 1, 2, 2),
        global_admins=_pick(rng, 0, 1, 1, 2, 3, 5),
        admin_roles=tuple(rng.sample(c.PRIVILEGED_ROLES[1:], rng.randint(0, 4))),
        eligible_roles=(c.GLOBAL_ADMIN,) if licence == "e5" and rng.random() < 0.5 else (),
        admins_use_daily_accounts=rng.random() < 0.3,
        shared_admin=rng.random() < 0.15,
        guest_admin_role=c.EXCHANGE_ADMIN if rng.random() < 0.1 else None,
        role_group=rng.random() < 0.15,
        directory_sync=rng.random() < 0.3,
        dap_partner=("Northwind Cloud Partners", PARTNER_ID) if rng.random() < 0.1 else None,
        security_mails=(f"security@{first}{second}{index}.com".lower(),) if rng.random() < 0.7 else (),
        technical_mails=(f"it@{first}{second}{index}.com".lower(),) if rng.random() < 0.8 else (),
        secure_score=round(rng.uniform(0.2, 0.9), 2),
        subscriptions=subs,
        forbidden=forbidden,
        collected_at=COLLECTED_AT + timedelta(seconds=index),
    )
    # Wave 2 (issue 12): from a second RNG, so the wave-1 mix above stays as it was.
    rng2 = random.Random(SEED * 7919 + index + 1_000_003)
    posture = replace(
        posture,
        stale_admins=_pick(rng2, 0, 0, 0, 1),
        ga_activated=rng2.random() < 0.5,
        risky_users=_pick(rng2, 0, 0, 1, 2),
        service_providers=((("Northwind Cloud Partners", PARTNER_ID, "northwindcloudpartners.com", rng2.randint(0, 40)),)
                           if rng2.random() < 0.8 else ()),
    )
    if kind == "partner":
        posture = replace(posture, extra_sections=_synthetic_partner_sections(rng, 25))
    return posture


def _synthetic_partner_sections(rng: random.Random, customers: int) -> dict:
    now = COLLECTED_AT
    relationships, assignments, contracts = [], {}, []
    for n in range(customers):
        tenant_id, name = guid(rng), f"Customer {n + 1}"
        contracts.append({"id": guid(rng), "contractType": "ResellerPartner", "customerId": tenant_id,
                          "defaultDomainName": f"customer{n + 1}.onmicrosoft.com", "displayName": name})
        if rng.random() < 0.1:
            continue  # under contract without GDAP
        created = now - timedelta(days=rng.randint(30, 700))
        grants_ga = rng.random() < 0.1
        rid = f"{guid(rng)}-{guid(rng)}"
        roles = ([c.GLOBAL_ADMIN] if grants_ga else []) + list(c.GDAP_STANDARD_ROLES)
        relationships.append({
            "@odata.type": "#microsoft.graph.delegatedAdminRelationship", "id": rid,
            "displayName": f"rel-{n + 1}", "status": "active", "customer": {"tenantId": tenant_id, "displayName": name},
            "accessDetails": {"unifiedRoles": [{"roleDefinitionId": r} for r in roles]}, "duration": "P730D",
            "autoExtendDuration": "PT0S" if grants_ga or rng.random() < 0.2 else "P180D",
            "createdDateTime": iso(created), "activatedDateTime": iso(created + timedelta(hours=2)),
            "endDateTime": iso(created + timedelta(days=730)),
        })
        assignments[rid] = [{
            "@odata.type": "#microsoft.graph.delegatedAdminAccessAssignment", "id": guid(rng), "status": "active",
            "accessContainer": {"accessContainerId": guid(rng), "accessContainerType": "securityGroup"},
            "accessDetails": {"unifiedRoles": [{"roleDefinitionId": r} for r in roles]},
        }]
    alerts = [{
        "id": guid(rng), "displayName": "Action Required: Subscription Usage Anomaly Detected", "description": "",
        "alertType": "usageAnomalyDetection", "status": _pick(rng, "active", "investigating", "resolved"),
        "severity": "high", "confidenceLevel": "medium", "customerTenantId": contracts[0]["customerId"],
        "subscriptionId": guid(rng), "valueAddedResellerTenantId": None, "catalogOfferId": "DZH318Z0BCHJ",
        "detectedDateTime": iso(now - timedelta(hours=rng.randint(1, 200))), "firstObservedDateTime": None,
        "lastObservedDateTime": None, "resolvedReason": None, "resolvedOnDateTime": None, "resolvedBy": None,
        "isTest": False, "affectedResources": [], "activityLogs": [], "additionalDetails": {},
    } for _ in range(rng.randint(0, 3))]
    r = c.REQUESTS
    return {
        "contracts": ok(contracts, r["contracts"]),
        "delegated_admin_relationships": ok(relationships, r["delegated_admin_relationships"]),
        "delegated_admin_access_assignments": ok(assignments, r["delegated_admin_access_assignments"]),
        "partner_security_alerts": ok(alerts, r["partner_security_alerts"]),
        "partner_security_requirements": ok(
            partner_security_requirements(rng, failing=("securityAlertsPromptlyResolved",) if alerts else ()),
            r["partner_security_requirements"]),
    }


def synthetic_snapshot(index: int, users: int = 300, subscriptions: int = 1, kind: str = "customer") -> TenantSnapshot:
    """A plausible tenant for benchmarks; the same arguments always give the same snapshot. Built with
    ``model_construct`` (no validation) for speed: validate with ``TenantSnapshot.model_validate`` if needed."""
    return build_snapshot(synthetic_posture(index, users, subscriptions, kind))


# --- the bundled sample ----------------------------------------------------------------------------------


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


def config_toml(portfolio: list[TenantSnapshot]) -> str:
    """The sample tenants.toml: the partner, every customer with its tags, break-glass accounts where the
    tenant has declared ones, branding, two risk acceptances (one active, one expired), attestations of ADM-6
    for some customers (two valid, one expired) and the scoring rule."""
    by_slug = {slug_of(s): s for s in portfolio}
    partner = by_slug[PARTNER.slug]

    def break_glass(slug: str) -> list[str]:
        snapshot = by_slug[slug]
        return sorted(u["userPrincipalName"] for u in snapshot.sections["users"].data
                      if u["userPrincipalName"].startswith("emergency"))

    # Lucerne Publishing has not told its partner about its emergency account: ADM-2 flags it.
    declared = {"fabrikam-legal", "fourth-coffee", "tailspin-manufacturing", "trey-research", "margies-travel"}
    lines = [
        "# Sample tenants.toml for the bundled demo portfolio (fictional tenants).",
        "# Generated by `python -m sample_data.generate`; `auditor run --sample` reads it.",
        "",
        "discover_customers = false",
        "concurrency = 8",
        "",
        "[auth]",
        'method = "client_secret"',
        'client_id = "5c1e7a90-3f2b-4d8e-9a61-0b7d2c4e8f13"  # the auditor app registration (fictional)',
        'client_secret_env = "AUDITOR_CLIENT_SECRET"',
        "",
        "[partner]",
        f'id = "{partner.tenant.id}"',
        f'name = "{partner.tenant.display_name}"',
        f"break_glass = {_toml_list(break_glass(PARTNER.slug))}",
        "",
    ]
    for posture in CUSTOMERS:
        snapshot = by_slug[posture.slug]
        lines += [
            "[[tenants]]",
            f'id = "{snapshot.tenant.id}"',
            f'name = "{snapshot.tenant.display_name}"',
            f"tags = {_toml_list(list(posture.tags))}",
        ]
        if posture.slug in declared:
            lines.append(f"break_glass = {_toml_list(break_glass(posture.slug))}")
        lines.append("")
    lines += [
        "[branding]",
        'partner_name = "Northwind Cloud Partners"',
        f'logo = "{LOGO_PATH}"',
        f'primary_color = "{BRAND_COLOUR}"',
        'footer_text = "Northwind Cloud Partners · Confidential: prepared for the named organisation only."',
        "",
        "[settings]",
        "mfa_registration_threshold = 0.95",
        "secure_score_threshold = 0.60",
        'defender_required_plans = ["VirtualMachines", "StorageAccounts", "KeyVaults", "Arm"]',
        "gdap_expiry_warning_days = 30",
        "partner_alert_grace_hours = 24",
        "admin_sign_in_days = 90",
        "",
        "# Other partners the customers may legitimately see (PAR-6): Trey Research also works with an MSP.",
        "[[known_partners]]",
        f'id = "{KNOWN_PARTNER[1]}"',
        f'name = "{KNOWN_PARTNER[0]}"',
        "",
        "# Active: Tailspin's Dev/Test subscription runs on a fixed monthly credit.",
        "[[risk_acceptances]]",
        'check = "CST-2"',
        f'tenant = "{by_slug["tailspin-manufacturing"].tenant.id}"  # Tailspin Manufacturing Ltd',
        'reason = "Dev/Test subscription capped by a fixed monthly Azure credit; anomaly alerts will be added when it moves to the production EA."',
        'owner = "Dana Whitfield, IT Manager, Tailspin Manufacturing"',
        "expires = 2027-03-31",
        "",
        "# Expired: Coho Winery promised a security mailbox by the end of September. A tenant may be named by id,",
        "# by any verified or default domain, or by its exact display name.",
        "[[risk_acceptances]]",
        'check = "CON-1"',
        'tenant = "Coho Winery"',
        'reason = "Security mailbox to be created with the new mail domain; until then the owner reads the technical contact mailbox."',
        'owner = "Marco Bianchi, Owner, Coho Winery"',
        "expires = 2026-09-30",
        "",
        "# Attested reviews of MANUAL checks: PASS for valid_days (90 by default) from the review date.",
        "[[attestations]]",
        'check = "ADM-6"',
        f'tenant = "{by_slug["fabrikam-legal"].tenant.default_domain}"  # Fabrikam Legal LLP',
        'reviewer = "Priya Raman, Security Lead, Northwind Cloud Partners"',
        "reviewed = 2026-11-02",
        'note = "Recovery email and phone of each administrator confirmed with the administrator by phone."',
        "",
        "[[attestations]]",
        'check = "ADM-6"',
        'tenant = "Fourth Coffee"',
        'reviewer = "Priya Raman, Security Lead, Northwind Cloud Partners"',
        "reviewed = 2026-10-19",
        'note = "Reviewed with the customer\'s IT lead during the quarterly call."',
        "",
        "# Expired: Trey Research's review is older than its 90 days; ADM-6 is back to MANUAL and flagged.",
        "[[attestations]]",
        'check = "ADM-6"',
        f'tenant = "{by_slug["trey-research"].tenant.id}"  # Trey Research',
        'reviewer = "Sam Okafor, IT Manager, Trey Research"',
        "reviewed = 2026-06-15",
        "",
        "[scoring]",
        'accepted_risk = "counted"  # version 3: an accepted risk earns no points; "excluded" gives the old rule',
        "min_coverage = 0.75        # no letter grade below 75 % weighted coverage (Incomplete)",
        "",
    ]
    return "\n".join(lines)


def write_sample(out: Path) -> list[Path]:
    """Write tenants/<slug>.json and config.toml under ``out``; remove stale tenant files."""
    portfolio = demo_portfolio()
    tenants = out / "tenants"
    tenants.mkdir(parents=True, exist_ok=True)
    written = []
    names = set()
    for snapshot in portfolio:
        path = tenants / f"{slug_of(snapshot)}.json"
        path.write_text(dump_snapshot(snapshot) + "\n", encoding="utf-8")
        names.add(path.name)
        written.append(path)
    for stale in tenants.glob("*.json"):
        if stale.name not in names:
            stale.unlink()
    config = out / "config.toml"
    config.write_text(config_toml(portfolio), encoding="utf-8")
    written.append(config)
    return written


def make_logo(path: Path) -> Path:
    """A plain wordmark for the fictional partner (Pillow ships with WeasyPrint)."""
    from PIL import Image, ImageDraw, ImageFont

    scale = 4  # draw large, then downsample for smooth edges
    width, height = 640 * scale, 160 * scale
    image = Image.new("RGBA", (width, height), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    colour = tuple(int(BRAND_COLOUR[i:i + 2], 16) for i in (1, 3, 5))
    # The mark: a compass needle pointing north-west in a rounded square.
    draw.rounded_rectangle((8 * scale, 16 * scale, 136 * scale, 144 * scale), radius=28 * scale, fill=colour)
    cx, cy = 72 * scale, 80 * scale
    draw.polygon([(cx - 34 * scale, cy - 34 * scale), (cx + 12 * scale, cy - 8 * scale), (cx - 8 * scale, cy + 12 * scale)],
                 fill=(255, 255, 255))
    draw.polygon([(cx + 34 * scale, cy + 34 * scale), (cx + 12 * scale, cy - 8 * scale), (cx - 8 * scale, cy + 12 * scale)],
                 fill=(168, 206, 232))
    try:
        bold = ImageFont.truetype("DejaVuSans-Bold.ttf", 50 * scale)
        regular = ImageFont.truetype("DejaVuSans.ttf", 30 * scale)
    except OSError:
        bold = regular = ImageFont.load_default()
    draw.text((160 * scale, 30 * scale), "Northwind", font=bold, fill=colour)
    draw.text((162 * scale, 92 * scale), "CLOUD PARTNERS", font=regular, fill=(90, 98, 110))
    image = image.resize((width // scale, height // scale), Image.LANCZOS)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, optimize=True)
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sample_data.generate", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SAMPLE_DIR, help="folder to write tenants/ and config.toml to")
    parser.add_argument("--logo", action="store_true", help="also redraw the logo (needs Pillow)")
    args = parser.parse_args(argv)
    for path in write_sample(args.out):
        print(f"wrote {path}")
    logo = args.out / LOGO_PATH
    if args.logo or not logo.exists():
        print(f"wrote {make_logo(logo)}")


if __name__ == "__main__":
    main()
