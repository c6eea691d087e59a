"""Who a query runs as: the connection's shared identity, each user's own grant (OAuth2), or a
service account impersonated for the user; and the redirect flows that obtain grants."""
