-- Registries without a catalogue (Docker Hub, GHCR, GitLab) list their
-- repositories through their vendor's own API; this is that API's address
-- (https://hub.docker.com, https://api.github.com, https://gitlab.com or a
-- self-managed GitLab). NULL where the registry lists itself, or where no
-- API was given.
ALTER TABLE sources ADD COLUMN api_url TEXT;
