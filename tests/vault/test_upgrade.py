"""``exhibits upgrade`` brings a vault made by an earlier version up to this one."""

from __future__ import annotations

from alembic import command

from exhibits.config import load_settings
from exhibits.db import migrate


def test_upgrade_applies_what_a_vault_lacks_and_nothing_twice(cli, vault_path):
    settings = load_settings(vault_path)
    config = migrate.alembic_config(
        settings.database_admin_url, migrate.app_role_of(settings.database_url, settings.database_admin_url)
    )
    with migrate.create_engine(migrate.normalise_url(settings.database_admin_url)).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0310_search_champions-1")  # as a vault made before it
    assert "0310_search_champions" not in migrate.current(settings.database_admin_url)

    upgraded = cli("upgrade")
    assert upgraded.exit_code == 0, upgraded.stderr
    assert "0310_search_champions" in upgraded.stdout
    assert "0310_search_champions" in migrate.current(settings.database_admin_url)
    again = cli("upgrade")
    assert again.exit_code == 0 and "Already up to date." in again.stdout
    assert cli("search", "anything", "--mode", "keyword").exit_code == 0
