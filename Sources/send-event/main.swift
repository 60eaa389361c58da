print("send-event")
