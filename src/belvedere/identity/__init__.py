"""Who a query runs as: the connection's shared identity, each user's own grant (OAuth2), or an
account impersonated for the user, as the backend's ``PerUserIdentity`` capability says; and
the redirect flows that obtain grants. Names no warehouse or provider."""
