NOTICE = "the board is open"
