"""QAbstractTableModel subclasses that page from the appliance's services."""
