"""Privacy by default, where the app shows people: pseudonyms and the Art. 30 record.

:func:`display_author` is what reports and the UI print for the author of a
mention: the handle only for alumni and allow-listed public accounts (press,
institutions), otherwise a short, stable pseudonym derived from the keyed
hash ``Mention.author_key`` — the same author reads the same pseudonym across
reports, yet nobody can reverse it without the install's key.

:func:`processing_register` writes the record of processing activities
(RGPD Art. 30) from the settings, so it changes when the configuration does.
"""

from __future__ import annotations

from typing import Protocol

from store.suppression import normalise
from veille.config import Settings, SourceSettings
from veille.i18n import gettext as _

#: Source kinds that collect public posts vs. professional profiles.
LISTENING_KINDS = ("twitter", "mastodon", "bluesky", "reddit", "rss", "web")
PROFILE_KINDS = ("schema_person", "orcid", "appointments")


class _Authored(Protocol):
    platform: str
    author_handle: str
    author_name: str
    author_key: str


def _allowed_handles(settings: Settings) -> set[tuple[str, str]]:
    """(platform or "*", normalised handle) pairs that may be shown in clear."""
    allowed: set[tuple[str, str]] = set()
    for entry in settings.privacy.allow_listed_handles:
        platform, sep, handle = entry.partition(":")
        if sep and platform and "@" not in platform:
            allowed.add((platform.strip().lower(), normalise("handle", handle)))
        else:
            allowed.add(("*", normalise("handle", entry)))
    # The institutions' own accounts are public by definition.
    for inst in settings.institutions():
        for platform, handles in inst.handles.items():
            allowed |= {(platform.lower(), normalise("handle", h)) for h in handles}
    return allowed


def pseudonym(author_key: str) -> str:
    """``auteur·rice #3f2a9c``: short, stable, and not reversible without the key."""
    if not author_key:
        return _("anonymous author")
    return _("author #%(key)s") % {"key": author_key[:6]}


def display_author(mention: _Authored, settings: Settings, *, is_alumnus: bool) -> str:
    """The author as reports and the UI may show them.

    Clear handle (or name when there is no handle) for alumni, allow-listed
    accounts and the institutions' own accounts, or everyone when
    ``privacy.pseudonymize_authors`` is off; a pseudonym otherwise.
    """
    clear = mention.author_handle or mention.author_name
    key = mention.author_key
    if not key and clear:
        # Crawlers fill author_key; rows from elsewhere get the same keyed hash.
        from store.suppression import keyed_hash, pseudonym_key

        key = keyed_hash("handle", f"{mention.platform}:{clear}", pseudonym_key())
    if not settings.privacy.pseudonymize_authors or is_alumnus:
        return clear or pseudonym(key)
    if mention.author_handle:
        h = normalise("handle", mention.author_handle)
        allowed = _allowed_handles(settings)
        if ("*", h) in allowed or (mention.platform.lower(), h) in allowed:
            return mention.author_handle
    return pseudonym(key)


def processing_register(settings: Settings) -> str:
    """The Art. 30 record of processing activities, in Markdown, from the settings."""
    p = settings.privacy
    listening = [s for s in settings.sources if s.kind in LISTENING_KINDS and s.enabled]
    profiles = [s for s in settings.sources if s.kind in PROFILE_KINDS and s.enabled]
    institutions = ", ".join(i.name for i in settings.institutions())

    def sources_line(sources: list[SourceSettings]) -> str:
        items = [f"{s.name} ({s.kind})" for s in sources]
        return ", ".join(items) if items else "aucune configurée / none configured"

    teams = (
        ", ".join(
            f"{name} ({len(t.recipients)} destinataire(s))" for name, t in settings.teams.items()
        )
        or "aucune équipe configurée / no team configured"
    )
    pseudo = (
        "auteurs pseudonymisés par défaut (hachage à clé), sauf alumni et comptes publics "
        "autorisés / authors pseudonymised by default (keyed hash) except alumni and "
        f"allow-listed public accounts ({len(p.allow_listed_handles)} allow-listed)"
        if p.pseudonymize_authors
        else "pseudonymisation des auteurs DÉSACTIVÉE / author pseudonymisation DISABLED"
    )
    return f"""# Registre des activités de traitement (RGPD art. 30) — veille

Responsable du traitement / Controller: {settings.institution.name}
Outil / Tool: veille (auto-hébergé / self-hosted; aucune donnée envoyée à un tiers par veille)
Généré depuis la configuration / Generated from the configuration.

## 1. Veille des réseaux sociaux / Social listening
- Finalité / Purpose: suivre les publications publiques qui mentionnent {institutions}
  (communication, vie étudiante, détection de crise, rapports) / follow public posts about them.
- Base légale / Legal basis: art. 6(1)(e) mission d'intérêt public (établissement public) ou
  art. 6(1)(f) intérêt légitime — à confirmer par le DPO / to be confirmed by the DPO.
- Personnes concernées / Data subjects: auteurs de publications publiques / authors of public posts.
- Données / Data: texte public, date, plateforme, indicateurs d'audience, sentiment calculé;
  {pseudo}.
- Sources: {sources_line(listening)}.
- Conservation / Retention: contenu brut {p.retention_days_mentions} jours, puis purgé
  (texte, auteur, URL, données brutes); seuls les agrégats et les rapports figés restent /
  raw content {p.retention_days_mentions} days, then purged; aggregates and frozen reports kept.
- Destinataires / Recipients: équipes internes / internal teams: {teams}.

## 2. Mise à jour des fiches alumni / Alumni record enrichment
- Finalité / Purpose: tenir à jour les coordonnées et parcours des diplômés (relations alumni).
- Base légale / Legal basis: art. 6(1)(f) intérêt légitime (mise en balance documentée),
  droit d'opposition à tout moment (art. 21) / right to object at any time.
- Données / Data: fiche alumni; profils professionnels publics; changements de poste détectés;
  suggestions soumises à validation humaine, avec provenance (URL, date, méthode, version).
- Sources: {sources_line(profiles)}; changements de poste repérés dans les publications.
- Information (art. 14): notice envoyée dans les {p.notice_days} jours suivant la collecte
  auprès d'un tiers, avec lien d'auto-confirmation / d'opposition.
- Conservation / Retention: instantanés de profils {p.retention_days_snapshots} jours (données
  brutes); fiche alumni tant que la relation dure ou jusqu'à opposition / effacement.
- Destinataires / Recipients: service alumni (rôle alumni_officer), administrateurs.

## 3. Liste d'opposition et d'effacement / Opt-out and erasure list
- Finalité / Purpose: ne plus jamais collecter les personnes opposées ou effacées (art. 17, 21).
- Base légale / Legal basis: art. 6(1)(c) obligation légale.
- Données / Data: uniquement des empreintes à clé (HMAC-SHA256) / keyed hashes only.
- Conservation / Retention: tant que le service fonctionne / as long as the service runs.

## Mesures de sécurité / Security measures (art. 32)
- Pseudonymisation des auteurs (clé VEILLE_PSEUDONYM_KEY), journal d'audit en ajout seul,
  rôles, jetons d'API hachés et limités par portée (lecture / décisions / administration),
  sessions côté serveur révocables, une clé dérivée par usage, secrets uniquement en variables
  d'environnement, contrôle des fichiers importés sans données personnelles dans les erreurs.
- Export (art. 15) et effacement (art. 17): `veille person export|erase --alumnus ID`.
"""
