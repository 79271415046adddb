# Written for a VM behind nginx: a unix socket, a daemon, logs and a pid file under /var.
# Read as it is, it makes a container exit at once.
bind = "unix:/run/shop/gunicorn.sock"
daemon = True
workers = 3
timeout = 90
accesslog = "/var/log/shop/access.log"
errorlog = "/var/log/shop/error.log"
pidfile = "/run/shop/gunicorn.pid"
user = "www-data"
