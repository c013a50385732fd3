"""The tickets app over the API: `tickets` (teams, tickets, their messages and read marks) and `customers`
(the customers and organizations the caller reaches through their teams' tickets)."""
