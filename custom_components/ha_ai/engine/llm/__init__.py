"""What HA AI tells a language model about a finding, and how it reads the answer."""
