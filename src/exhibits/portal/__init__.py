"""The public evidence portal: members of the public send footage to the police through a link."""
