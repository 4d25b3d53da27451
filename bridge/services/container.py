"""Every domain service, built once from the settings and shared by the web app and the CLI."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bridge.config.flows import load_bound_flows
from bridge.config.secrets import Secrets
from bridge.config.settings import Settings
from bridge.domain.clock import Clock, SystemClock
from bridge.domain.events import AuditEventName
from bridge.federation import FederatedAccounts, FederationClient, HomeRealm, IdentityProviders
from bridge.federation.metadata import MetadataCache
from bridge.federation.provider_admin import ProviderAdmin
from bridge.federation.registry import StoredProviders
from bridge.login.directory import BridgeDirectory
from bridge.login.pending import PendingLogins
from bridge.login.sessions import BrowserSessions
from bridge.mail import Mailer, MailMessage, build_mailer
from bridge.observability.recording import (
    count_audit_event,
    count_mail_outcome,
    count_store_error,
    metered_session,
    watch_database_errors,
)
from bridge.oidc.tokens import TokenService
from bridge.services.api_clients import ApiClients
from bridge.services.app_password_values import app_password_key
from bridge.services.app_passwords import AppPasswords
from bridge.services.audit import AuditLog
from bridge.services.client_lifecycle import ClientLifecycle
from bridge.services.clients import ClientService
from bridge.services.email_addresses import EmailAddresses
from bridge.services.explanations import Explanations
from bridge.services.imports import Importer
from bridge.services.imports.export import Exporter
from bridge.services.keys import SigningKeys
from bridge.services.languages import Languages
from bridge.services.lockout import Lockout
from bridge.services.orgs import MemberService, MfaPolicy, OrgService
from bridge.services.orgs.audit import OrgAudit
from bridge.services.password_policy import PasswordPolicy
from bridge.services.password_resets import PasswordResets
from bridge.services.passwords import PasswordHasher
from bridge.services.recovery import RecoveryCodes, recovery_key
from bridge.services.reset_requests import ResetRequests
from bridge.services.totp import TotpService
from bridge.services.trusted_devices import TrustedDevices
from bridge.services.users import UserService
from bridge.storage.crypto import Keyring, parse_keyring
from bridge.storage.db.engine import Database
from bridge.storage.db.waits import Waits
from bridge.storage.ephemeral import open_store
from bridge.storage.ephemeral.base import EphemeralStore
from flows import FlowSet


@dataclass
class Services:
    settings: Settings
    secrets: Secrets
    clock: Clock
    db: Database
    store: EphemeralStore
    keyring: Keyring
    users: UserService
    emails: EmailAddresses
    totp: TotpService
    clients: ClientService
    # A relying party's life after it was added: disable, enable, delete, ... (issue 14).
    client_lifecycle: ClientLifecycle
    audit: AuditLog
    keys: SigningKeys
    tokens: TokenService
    sessions: BrowserSessions
    pending: PendingLogins
    flows: FlowSet
    directory: BridgeDirectory
    mfa_policy: MfaPolicy
    orgs: OrgService
    members: MemberService
    # An organisation's audit log for its admins: filters, exports, retention.
    org_audit: OrgAudit
    # The second factor's life (issue 5): each records its own audit events.
    mailer: Mailer
    recovery: RecoveryCodes
    trusted_devices: TrustedDevices
    lockout: Lockout
    reset_requests: ResetRequests
    # Federation (issue 6): upstream providers, the upstream login, and the links to users.
    identity_providers: IdentityProviders
    federation: FederationClient
    federated_accounts: FederatedAccounts
    home_realm: HomeRealm
    # Providers an organisation's admin adds through the admin API or ``bridge idp``.
    provider_admin: ProviderAdmin
    # Pages and mails in German and English (issue 13).
    languages: Languages
    explanations: Explanations
    # Users brought from Keycloak, Authelia, a generic file or a bridge export (issue 17).
    importer: Importer
    exporter: Exporter
    # Integrations that cannot do 2FA (issue 12).
    app_passwords: AppPasswords
    # Machine clients of an organisation, with client credentials (issue 12).
    api_clients: ApiClients
    # Forgot-password links (issue 14).
    password_resets: PasswordResets

    def start_background(self) -> None:
        """What a serving process runs beside its requests: the mail outbox's sender, unless
        only ``bridge mail worker`` processes send (``mail.sender: worker``)."""
        if self.settings.mail.sender == "thread":
            self.mailer.outbox.start()

    def close(self) -> None:
        self.mailer.close()
        self.db.dispose()


def _record_mail_failure(audit: AuditLog) -> Callable[[MailMessage, str], None]:
    """A message the outbox gave up on is recorded, not only logged."""

    def record(message: MailMessage, reason: str) -> None:
        audit.record(
            AuditEventName.MAIL_FAILED,
            user_id=message.user_id,
            reason=reason,
            details={"kind": message.kind, "to": message.to},
        )

    return record


def build_services(settings: Settings, secrets: Secrets, clock: Clock | None = None) -> Services:
    clock = clock or SystemClock()
    timeouts = settings.database
    db = Database(
        settings.database_url_resolved,
        waits=Waits(timeouts.connect_timeout, timeouts.statement_timeout, timeouts.pool_timeout),
    )
    store = open_store(
        settings.ephemeral.backend,
        redis_url=settings.ephemeral.redis_url,
        prefix=settings.ephemeral.key_prefix,
        clock=clock,
        on_error=lambda: count_store_error("ephemeral"),
    )
    keyring = parse_keyring(secrets.encryption_keys)
    hasher = PasswordHasher(
        time_cost=settings.passwords.argon2_time_cost,
        memory_cost=settings.passwords.argon2_memory_cost,
        parallelism=settings.passwords.argon2_parallelism,
        threads=settings.passwords.argon2_threads,
    )
    users = UserService(
        db,
        hasher,
        clock,
        policy=PasswordPolicy(
            min_single_factor=settings.passwords.min_length_single_factor,
            min_second_factor=settings.passwords.min_length_with_2fa,
        ),
        mfa_by_default=settings.mfa.required,
    )
    totp = TotpService(
        db,
        keyring,
        clock,
        issuer_label=settings.totp.issuer_label,
        algorithm=settings.totp.algorithm,
        digits=settings.totp.digits,
        period=settings.totp.period,
        drift_steps=settings.totp.drift_steps,
    )
    watch_database_errors(db.engine)
    # Changes of clients are versioned where every serving process looks (not in-process).
    shared_store = None if settings.ephemeral.backend == "memory" else store
    clients = ClientService(db, clock, shared_store=shared_store)
    audit = AuditLog(db, clock, on_record=count_audit_event, find_client=clients.get)
    # Organisations decide who needs 2FA; ``mfa.required`` is the default for users in none.
    mfa_policy = MfaPolicy(db, default_required=settings.mfa.required)
    # The shorter minimum password applies while a second factor is in force (issue 14).
    users.second_factor = lambda user_id: (
        totp.has_totp(user_id) or mfa_policy.requirement(user_id).required
    )
    flow_set = load_bound_flows(settings.flows)
    mailer = build_mailer(
        settings.mail,
        secrets.mail_password,
        db,
        on_failure=_record_mail_failure(audit),
        on_outcome=count_mail_outcome,
    )
    lockout = Lockout(db, store, clock, audit, mailer=mailer)
    recovery = RecoveryCodes(db, clock, audit, recovery_key(secrets.secret_key))
    trusted_devices = TrustedDevices(db, clock, audit)
    # Client secrets are resolved now: a missing one stops the start, not a user's login.
    # Providers added through the admin API are read from the database on every lookup.
    stored_providers = StoredProviders(db, keyring)
    identity_providers = IdentityProviders.from_settings(
        settings.identity_providers, stored=stored_providers
    )
    home_realm = HomeRealm(identity_providers, db)
    orgs = OrgService(db, clock, audit, totp, identity_providers, clients=clients)
    return Services(
        settings=settings,
        secrets=secrets,
        clock=clock,
        db=db,
        store=store,
        keyring=keyring,
        users=users,
        emails=EmailAddresses(db),
        totp=totp,
        clients=clients,
        client_lifecycle=ClientLifecycle(db, audit, clients),
        audit=audit,
        keys=SigningKeys(
            db,
            keyring,
            clock,
            alg=settings.keys.signing_alg,
            rotation_grace=settings.keys.rotation_grace,
            store=store,
            # Rotations are announced where every serving process looks (not in-process).
            shared_store=shared_store,
        ),
        tokens=TokenService(
            db,
            store,
            clock,
            code_ttl=settings.tokens.authorization_code_ttl,
            access_token_ttl=settings.tokens.access_token_ttl,
            refresh_token_ttl=settings.tokens.refresh_token_ttl,
        ),
        sessions=BrowserSessions(store, clock, lifetime=settings.session.lifetime),
        pending=PendingLogins(store, clock),
        flows=flow_set,
        directory=BridgeDirectory(
            users,
            totp,
            mfa_required=settings.mfa.required,
            policy=mfa_policy,
            db=db,
            lockout=lockout,
            recovery=recovery,
            trusted_devices=trusted_devices,
            providers=identity_providers,
            home_realm=home_realm,
        ),
        mfa_policy=mfa_policy,
        orgs=orgs,
        members=MemberService(db, clock, audit, mfa_policy, lockout=lockout),
        org_audit=OrgAudit(db, clock, audit, retention_days=settings.audit.retention_days),
        mailer=mailer,
        recovery=recovery,
        trusted_devices=trusted_devices,
        lockout=lockout,
        reset_requests=ResetRequests(db, clock, audit, mailer=mailer),
        identity_providers=identity_providers,
        federation=FederationClient(
            store, clock, metadata=MetadataCache(clock, http=metered_session)
        ),
        federated_accounts=FederatedAccounts(db, clock, audit, identity_providers),
        home_realm=home_realm,
        provider_admin=ProviderAdmin(
            db, clock, audit, keyring, identity_providers, stored_providers
        ),
        languages=Languages(db, clock, audit),
        explanations=Explanations(db, mfa_policy),
        importer=Importer(db, clock, audit, totp, orgs),
        exporter=Exporter(db, clock, audit, totp, settings.issuer),
        app_passwords=AppPasswords(
            db, clock, audit, app_password_key(secrets.secret_key), mailer=mailer
        ),
        api_clients=ApiClients(db, clock, audit, clients),
        password_resets=PasswordResets(
            db,
            clock,
            audit,
            mailer,
            store,
            issuer=settings.issuer,
            ttl=settings.passwords.reset_link_minutes * 60,
            mails_per_hour=settings.passwords.reset_mails_per_hour,
        ),
    )
