"""The Overleggen section: meetings, agendas, packs, invitations."""
