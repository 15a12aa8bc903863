"""Languages: BCP 47 tags, how long prompts take to say by script, and what prompts say
(a person, a wait, repeat, back) in each language. Right after the ground floor: formats
read a menu's ``language:`` with it, and everything that times or reads a prompt asks it."""
