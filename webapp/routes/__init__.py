"""Route modules; importing one registers its routes in `webapp.routing.ROUTES`."""
